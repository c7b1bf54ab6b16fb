"""Django's database sessions, read through a prepared query.

Every signed-in request reads its session; building and compiling that one-row query cost
more than running it (followthrough/prepared.py). Writing, expiry and the cookie are
Django's own. SESSION_ENGINE = "followthrough.tenants.sessions"."""

import datetime as dt

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from followthrough.prepared import Prepared

_SESSION = Prepared(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now)
    .only("session_data"),
    key=str, now=dt.datetime)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        found = _SESSION(key=self.session_key, now=timezone.now())
        if not found:
            # As Django's: a key that names no live session is forgotten.
            self._session_key = None
            return None
        return found[0]

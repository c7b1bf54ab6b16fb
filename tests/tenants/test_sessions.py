"""Sessions are Django's database sessions, read with a prepared query: a live session signs
the person in, an expired or unknown one does not, and nothing else changes."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from followthrough.tenants.models import Business, Membership
from followthrough.tenants.sessions import SessionStore


class SessionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = get_user_model().objects.create_user(
            username="sam@example.com", email="sam@example.com", password="a-long-password-1")
        business = Business.objects.create(slug="s", name="S", timezone="UTC")
        Membership.objects.create(business=business, user=cls.user, role=Membership.OWNER)

    def test_it_reads_a_saved_session(self):
        store = SessionStore()
        store["colour"] = "teal"
        store.save()
        assert SessionStore(store.session_key)["colour"] == "teal"

    def test_it_reads_nothing_from_an_expired_session(self):
        store = SessionStore()
        store["colour"] = "teal"
        store.save()
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1))
        assert SessionStore(store.session_key).get("colour") is None

    def test_it_forgets_a_key_that_names_no_session(self):
        store = SessionStore("k" * 32)
        assert store.get("colour") is None
        assert store.session_key is None

    def test_it_keeps_a_signed_in_person_signed_in(self):
        self.client.force_login(self.user)
        assert self.client.get("/today/").status_code == 200

    def test_it_sends_a_signed_out_person_to_sign_in(self):
        self.client.force_login(self.user)
        Session.objects.all().delete()
        response = self.client.get("/today/")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

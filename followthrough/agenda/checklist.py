"""Getting started: the seven things a new business does once, ticked from its own data.

Each item is done when the data says so, never when someone ticks a box: the sender's
details are filled in, a review link is saved, a job exists, and so on. Today shows the list
to owners until every item is done or they put it away; once it is hidden, the cache
remembers that, so an established business pays nothing for it.

The customer import is the integrations app's (to our right in the import order), so it
tells us how to recognise a finished import through `provide`."""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from followthrough.agenda.models import Preference
from followthrough.customers.models import Engagement
from followthrough.feedback.models import FeedbackSettings
from followthrough.tenants.models import DEFAULT_BRAND_COLOUR, Business, Invitation, Membership

HIDDEN_FOR = 30 * 24 * 3600  # the cache only saves a query; Preference keeps the dismissal


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    why: str
    url_name: str
    anchor: str = ""


ITEMS = (
    Item("sender", "Your name, email and postal address",
         "Customers see who wrote to them, and the law asks for a postal address in every "
         "relationship email.", "settings"),
    Item("reviews", "Your review links",
         "Happy customers land straight on your Google (or other) review page.",
         "settings_reviews"),
    Item("brand", "Your logo and colour", "Every email carries your look.", "settings"),
    Item("customers", "Import your customers",
         "Bring your list from a spreadsheet, so reminders and thank-yous reach them.",
         "import_upload"),
    Item("job", "Record your first job",
         "Followthrough plans the calls, cards and emails that follow it.", "sale_new"),
    Item("calendar", "Connect your calendar",
         "Your calls and visits appear in Google, Apple or Outlook calendar.",
         "settings_calendar"),
    Item("team", "Invite your team", "Share the calls and cards with the people you work with.",
         "members"),
)

_provided: dict[str, Callable[[OuterRef], Exists]] = {}


def provide(key: str, done: Callable[[OuterRef], Exists]) -> None:
    """Let another app say when item `key` is done: `done(business)` is an Exists over its
    own rows for the business `business` (an OuterRef)."""
    _provided[key] = done
    _statement.cache_clear()


def _done_in_the_database(business_ref, user_id) -> dict:
    """One Exists per item the business row cannot answer, plus the person's dismissal."""
    reviews = FeedbackSettings.objects.filter(business=business_ref).exclude(
        google_review_url="", facebook_review_url="", yelp_review_url="", other_review_url="")
    found = {
        "reviews": Exists(reviews),
        "job": Exists(Engagement.objects.filter(business=business_ref)),
        "calendar": Exists(Preference.objects.filter(business=business_ref,
                                                     feed_fetched_at__isnull=False)),
        "team": Exists(Membership.objects.filter(business=business_ref).exclude(user_id=user_id))
        | Exists(Invitation.objects.filter(business=business_ref, revoked_at__isnull=True)),
        "dismissed": Exists(Preference.objects.filter(business=business_ref, user_id=user_id,
                                                      checklist_dismissed_at__isnull=False)),
    }
    found |= {key: done(business_ref) for key, done in _provided.items()}
    return found


def _done_on_the_business(business) -> dict:
    return {
        "sender": bool(business.sender_name and business.sender_email
                       and business.postal_address.strip()),
        "brand": bool(business.logo_url) or business.brand_colour != DEFAULT_BRAND_COLOUR,
    }


def _hidden_key(business, user) -> str:
    # The join date tells apart two people who had the same key at different times.
    return f"agenda:checklist:{business.pk}:{user.pk}:{user.date_joined.timestamp():.6f}"


def checklist(business, user, membership) -> dict | None:
    """The list to show on Today, or None: for staff, once every item is done, or once the
    owner put it away. One query while it shows; none after it is hidden."""
    if membership is None or not membership.is_owner or cache.get(_hidden_key(business, user)):
        return None
    done = _read_done(business.pk, user.pk) | _done_on_the_business(business)
    urls = _urls(get_script_prefix(), get_urlconf())
    items = [{"item": item, "done": bool(done.get(item.key)), "url": urls[item.key]}
             for item in ITEMS]
    finished = sum(i["done"] for i in items)
    if done["dismissed"] or finished == len(items):
        cache.set(_hidden_key(business, user), True, HIDDEN_FOR)
        return None
    return {"items": items, "done": finished, "total": len(items)}


# Stand-ins for the business's and the person's ids while the query is compiled once.
_BUSINESS, _USER = -7_000_000_001, -7_000_000_002


def _read_done(business_id: int, user_id: int) -> dict[str, bool]:
    """One row of Exists answers. Building and compiling six subqueries cost Today more
    than all its other queries together, so the SQL is compiled once per process and only
    the two ids change."""
    sql, params, keys = _statement(connections[DEFAULT_DB_ALIAS].vendor)
    ids = {_BUSINESS: business_id, _USER: user_id}
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, [ids.get(p, p) if isinstance(p, int) else p for p in params])
        row = cursor.fetchone()
    return {key: bool(value) for key, value in zip(keys, row, strict=True)}


@functools.cache
def _statement(vendor: str) -> tuple[str, tuple, list[str]]:
    # Prefixed, so no name can clash with a field of Business.
    checks = {f"is_{key}": check
              for key, check in _done_in_the_database(OuterRef("pk"), _USER).items()}
    sql, params = Business.objects.filter(pk=_BUSINESS).values(**checks).query.sql_with_params()
    return sql, params, [key.removeprefix("is_") for key in checks]


@functools.cache
def _urls(prefix: str, urlconf) -> dict[str, str]:
    return {item.key: reverse(item.url_name, urlconf=urlconf) + item.anchor for item in ITEMS}


def dismiss(business, user) -> None:
    Preference.objects.update_or_create(
        business=business, user=user, defaults={"checklist_dismissed_at": timezone.now()})
    cache.set(_hidden_key(business, user), True, HIDDEN_FOR)

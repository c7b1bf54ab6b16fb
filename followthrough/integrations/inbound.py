"""Inbound sales webhooks: a generic JSON endpoint and Stripe and Shopify adapters.

Each InboundSource has a URL with a 128-bit token, and each request must carry the
provider's signature over the raw body:

- Generic: `X-Followthrough-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`
- Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>` (Stripe's
  documented scheme, five minutes' tolerance)
- Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(secret, body)>`

A valid request upserts the customer and records the engagement with an external id taken
from the provider's object, so a replay (or the provider's retry) creates nothing new.

The payload is hostile even when signed (a buyer types their own name into a checkout):
every field is checked for its type, a wrong one answers 400 naming it, and names lose
their control characters (followthrough.text.clean_line). Each request is one event in its
own transaction; one that fails leaves nothing behind and no state for the next."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from followthrough import vocabulary as v
from followthrough.customers import services as customer_services
from followthrough.customers.models import Customer, Engagement
from followthrough.integrations.imports import parse_when
from followthrough.integrations.models import InboundSource
from followthrough.text import clean_line
from followthrough.touchpoints import services as touchpoint_services

log = logging.getLogger("followthrough.integrations")

TOLERANCE = 300
MAX_CENTS = 10**12


class Refused(Exception):
    def __init__(self, status: int, field: str | None, message: str):
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


def _error(status: int, field: str | None, message: str) -> JsonResponse:
    return JsonResponse({"detail": [{"field": field, "message": message}]}, status=status)


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_timestamped(header: str, secret: str, body: bytes, now: float | None = None) -> None:
    """Stripe's scheme (and ours): t=<unix>,v1=<hex HMAC-SHA256 of "t.body">."""
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    stamps = [value for key, value in parts if key.strip() == "t"]
    signatures = [value.strip() for key, value in parts if key.strip() == "v1"]
    if not stamps or not signatures or not stamps[0].strip().isdigit():
        raise Refused(401, "signature", "The signature header is missing or malformed.")
    stamp = int(stamps[0])
    if abs((now or time.time()) - stamp) > TOLERANCE:
        raise Refused(401, "signature", "The signature is older than five minutes.")
    expected = _hex_hmac(secret, f"{stamp}.".encode() + body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise Refused(401, "signature", "The signature does not match the body.")


def verify_shopify(header: str, secret: str, body: bytes) -> None:
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    if not header or not hmac.compare_digest(expected, header.strip().encode()):
        raise Refused(401, "X-Shopify-Hmac-Sha256", "The signature does not match the body.")


# What each provider's payload becomes -------------------------------------------------------

GENERIC_FIELDS = {"customer", "external_id", "won_at", "delivered_at", "description", "value",
                  "kind"}
GENERIC_CUSTOMER_FIELDS = {"external_id", "name", "email", "phone"}


def _text(data: dict, key: str, field: str, limit: int) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Refused(422, field, "Give text.")
    value = clean_line(str(value))
    if len(value) > limit:
        raise Refused(422, field, f"Keep this under {limit} characters.")
    return value


# Shapes of the providers' payloads: a wrong type answers 400 naming the field.

def _object(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Refused(400, field, "Expected an object.")
    return value


def _string(value, field: str, limit: int = 254) -> str:
    """Optional text, cleaned to one line and cut to `limit`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(400, field, "Expected text.")
    return clean_line(value)[:limit]


def _ident(value, field: str) -> str:
    """A provider's id: text or a whole number (Shopify's are numbers), or an expanded
    object that carries one."""
    if isinstance(value, dict):
        value = value.get("id")
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Refused(400, field, "Expected an id.")
    return clean_line(str(value))[:90]


def _cents(value, field: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_CENTS:
        raise Refused(400, field, "Expected a whole number of cents.")
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def from_generic(document: dict, business, topic: str = "") -> dict:
    unknown = sorted(set(document) - GENERIC_FIELDS)
    if unknown:
        raise Refused(422, unknown[0], "Unknown field.")
    person = document.get("customer")
    if not isinstance(person, dict):
        raise Refused(422, "customer", "Give the customer as an object.")
    unknown = sorted(set(person) - GENERIC_CUSTOMER_FIELDS)
    if unknown:
        raise Refused(422, f"customer.{unknown[0]}", "Unknown field.")
    order = _text(document, "external_id", "external_id", 100)
    if not order:
        raise Refused(422, "external_id", "Give your id for the sale, so a retry is safe.")
    return {
        "customer": {k: _text(person, k, f"customer.{k}", 254) for k in GENERIC_CUSTOMER_FIELDS
                     if person.get(k) is not None},
        "external_id": order,
        "won_at": _when(document.get("won_at"), "won_at", business, required=True),
        "delivered_at": _when(document.get("delivered_at"), "delivered_at", business),
        "description": _text(document, "description", "description", 300),
        "kind": _text(document, "kind", "kind", 60),
        "value": _money(document.get("value"), "value"),
    }


def from_stripe(document: dict, business, topic: str = "") -> dict | None:
    if document.get("type") != "checkout.session.completed":
        return None
    session = _object(_object(document.get("data"), "data").get("object"), "data.object")
    session_id = _ident(session.get("id"), "data.object.id")
    if not session_id:
        raise Refused(422, "data.object.id", "The checkout session has no id.")
    where = "data.object.customer_details"
    details = _object(session.get("customer_details"), where)
    person = {
        "email": _string(details.get("email"), f"{where}.email")
        or _string(session.get("customer_email"), "data.object.customer_email"),
        "name": _string(details.get("name"), f"{where}.name", 200),
        "phone": _string(details.get("phone"), f"{where}.phone", 40),
    }
    buyer = _ident(session.get("customer"), "data.object.customer")
    if buyer:
        person["external_id"] = f"stripe:{buyer}"
    created = session.get("created") or document.get("created")
    return {
        "customer": {k: v for k, v in person.items() if v},
        "external_id": f"stripe:{session_id}"[:100],
        "won_at": _unix(created),
        "delivered_at": None, "kind": "Order", "description": "Online checkout",
        "value": _cents(session.get("amount_total"), "data.object.amount_total"),
    }


def _line_items(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Refused(400, "line_items", "Expected a list.")
    return [_string(item.get("title"), "line_items.title", 200)
            for item in value if isinstance(item, dict)]


def from_shopify(document: dict, business, topic: str = "") -> dict:
    """An order (orders/create, orders/paid, orders/updated, orders/fulfilled), or a
    fulfilment of one (fulfillments/create, fulfillments/update)."""
    if _is_fulfilment(document, topic):
        return _shopify_fulfilment(document, business)
    order_id = _ident(document.get("id"), "id")
    if not order_id:
        raise Refused(422, "id", "The order has no id.")
    customer = _object(document.get("customer"), "customer")
    name = " ".join(p for p in (_string(customer.get("first_name"), "customer.first_name", 100),
                                _string(customer.get("last_name"), "customer.last_name", 100))
                    if p)
    person = {
        "email": _string(customer.get("email"), "customer.email")
        or _string(document.get("email"), "email"),
        "name": name,
        "phone": _string(customer.get("phone"), "customer.phone", 40)
        or _string(document.get("phone"), "phone", 40),
    }
    buyer = _ident(customer.get("id"), "customer.id")
    if buyer:
        person["external_id"] = f"shopify:{buyer}"
    items = [title for title in _line_items(document.get("line_items")) if title]
    return {
        "customer": {k: v for k, v in person.items() if v},
        "external_id": f"shopify:{order_id}"[:100],
        "won_at": _when(document.get("created_at"), "created_at", business) or timezone.now(),
        "delivered_at": _shopify_fulfilled_at(document, business), "kind": "Order",
        "description": (", ".join(items) or _string(document.get("name"), "name", 300))[:300],
        "value": _money(document.get("total_price"), "total_price"),
    }


def _is_fulfilment(document: dict, topic: str) -> bool:
    if topic:
        return topic.startswith("fulfillments/")
    # Without the topic header, a fulfilment is the object that points at its order.
    return "order_id" in document and "financial_status" not in document


def _shopify_fulfilled_at(order: dict, business) -> dt.datetime | None:
    """When a fulfilled order was handed over: its last fulfilment, else its last update.
    For a shop, fulfilled is delivered: the goods have left, and the after-sales steps
    (the walk-through call, the tips email) start from there."""
    if order.get("fulfillment_status") != "fulfilled":
        return None
    fulfilments = order.get("fulfillments")
    if fulfilments is not None and not isinstance(fulfilments, list):
        raise Refused(400, "fulfillments", "Expected a list.")
    times = [_when(f.get("created_at"), "fulfillments.created_at", business)
             for f in fulfilments or () if isinstance(f, dict)]
    times = [at for at in times if at]
    return max(times, default=None) or _when(order.get("updated_at"), "updated_at",
                                             business) or timezone.now()


def _shopify_fulfilment(document: dict, business) -> dict | None:
    """A fulfilment marks its order delivered once it succeeded (and, where the carrier
    reports it, once the parcel arrived). It names no customer, so it only ever updates an
    order we already have."""
    order_id = _ident(document.get("order_id"), "order_id")
    if not order_id:
        raise Refused(422, "order_id", "The fulfilment names no order.")
    if document.get("status") not in (None, "success"):
        return None
    at = (_when(document.get("updated_at"), "updated_at", business)
          if document.get("shipment_status") == "delivered" else None)
    at = at or _when(document.get("created_at"), "created_at", business) or timezone.now()
    return {"external_id": f"shopify:{order_id}"[:100], "delivered_at": at, "update_only": True}


def _when(value, field: str, business, required: bool = False):
    if value in (None, ""):
        if required:
            raise Refused(422, field, "This field is required.")
        return None
    parsed = parse_when(str(value), business.zone) if isinstance(value, str) else None
    if parsed is None:
        raise Refused(422, field, "Give an ISO 8601 date and time with its offset.")
    return parsed


def _unix(value):
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 7258118400:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    return timezone.now()


def _money(value, field: str):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Refused(400, field, "Expected an amount such as 180.00.")
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise Refused(422, field, "Give an amount such as 180.00.") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise Refused(422, field, "Give an amount such as 180.00.")
    return amount


ADAPTERS = {InboundSource.GENERIC: from_generic, InboundSource.STRIPE: from_stripe,
            InboundSource.SHOPIFY: from_shopify}


# Recording ----------------------------------------------------------------------------------

def _customer(business, person: dict) -> Customer:
    person["name"] = clean_line(person.get("name") or "")
    if not person.get("name"):
        person["name"] = person.get("email") or person.get("phone") or "Customer"
    if not person.get("external_id") and person.get("email"):
        existing = Customer.objects.filter(business=business,
                                           email__iexact=person["email"]).first()
        if existing is not None:
            return existing
    try:
        return customer_services.upsert_customer(business, person)[0]
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Refused(422, f"customer.{field}", messages[0]) from None


def record_sale(source: InboundSource, sale: dict) -> tuple[Engagement | None, str]:
    """The sale, and what happened: "created", "delivered" (an order we had is now
    delivered), "duplicate", or "unknown" (a delivery for an order we never had)."""
    business = source.business
    existing = Engagement.objects.filter(business=business,
                                         external_id=sale["external_id"]).first()
    if existing is not None:
        return existing, _record_delivery(existing, sale.get("delivered_at"))
    if sale.get("update_only"):
        return None, "unknown"
    playbook = source.playbook
    if playbook is None or not playbook.is_active:
        raise Refused(422, "playbook", "This webhook has no active playbook; choose one in "
                      "Settings → Integrations.")
    try:
        with transaction.atomic():
            customer = _customer(business, dict(sale["customer"]))
            engagement = touchpoint_services.create_engagement(
                business, customer, playbook, kind=sale["kind"],
                description=sale["description"], value=sale["value"], won_at=sale["won_at"],
                delivered_at=sale["delivered_at"], external_id=sale["external_id"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Refused(422, field, messages[0]) from None
    except DataError:  # a value the database cannot hold; nothing was saved
        raise Refused(400, "body", "A value in the payload is out of range.") from None
    except IntegrityError:
        existing = Engagement.objects.filter(business=business,
                                             external_id=sale["external_id"]).first()
        if existing is None:
            raise Refused(409, "external_id", "A request for the same sale is in flight; "
                          "send it again.") from None
        return existing, "duplicate"
    return engagement, "created"


def _record_delivery(engagement: Engagement, delivered_at: dt.datetime | None) -> str:
    """A sale we already have, sent again with its delivery: record it once (the replan
    plans the after-sales steps). Anything else about it is a replay."""
    if delivered_at is None or engagement.delivered_at is not None:
        return "duplicate"
    if engagement.cancelled_at is not None:
        return "duplicate"
    try:
        touchpoint_services.record_event(engagement, v.DELIVERED, max(delivered_at,
                                                                      engagement.won_at))
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Refused(422, field, messages[0]) from None
    return "delivered"


def _adapt(source: InboundSource, document: dict, topic: str) -> dict | None:
    """The provider's payload as a sale. The adapters check every field they read; a shape
    they did not foresee still answers 400, never 500."""
    try:
        return ADAPTERS[source.provider](document, source.business, topic)
    except Refused:
        raise
    except (AttributeError, TypeError, KeyError, ValueError, ArithmeticError):
        log.warning("Inbound %s payload with an unexpected shape", source.provider,
                    exc_info=True)
        raise Refused(400, "body", "The payload does not have the shape we expect.") from None


@csrf_exempt  # called by providers, not browsers; the signature is the check
@require_POST
def receive(request, token):
    source = InboundSource.objects.select_related("business", "playbook").filter(
        token=token).first()
    if source is None:
        raise Http404("No such webhook")
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, "body", "The body is too large.")
    try:
        if not source.secret:
            raise Refused(401, "signature", "This webhook has no secret; create it again.")
        if source.provider == InboundSource.SHOPIFY:
            verify_shopify(request.headers.get("X-Shopify-Hmac-Sha256", ""), source.secret, body)
        else:
            header = "Stripe-Signature" if source.provider == InboundSource.STRIPE \
                else "X-Followthrough-Signature"
            verify_timestamped(request.headers.get(header, ""), source.secret, body)
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, "body", "The body is not valid JSON.") from None
        if not isinstance(document, dict):
            raise Refused(400, "body", "The body must be a JSON object.")
        topic = clean_line(request.headers.get("X-Shopify-Topic", ""))[:60]
        sale = _adapt(source, document, topic)
        if sale is None:
            return JsonResponse({"status": "ignored"}, status=200)
        engagement, outcome = record_sale(source, sale)
    except Refused as exc:
        return _error(exc.status, exc.field, exc.message)
    InboundSource.objects.filter(pk=source.pk).update(last_received_at=timezone.now())
    if engagement is None:
        return JsonResponse({"status": "ignored", "detail": "No sale with this order id; "
                             "the order itself creates it."}, status=200)
    return JsonResponse({"status": outcome, "engagement": engagement.public_id,
                         "customer": engagement.customer.public_id},
                        status=201 if outcome == "created" else 200)

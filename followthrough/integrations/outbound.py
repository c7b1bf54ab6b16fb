"""Outbound webhooks and owner notifications: domain events → delivery rows → HTTP POSTs.

A domain event (followthrough.events) makes one WebhookDelivery row per subscribed
endpoint; the worker's pass (and `followthrough webhooks`) posts the due ones. A signed
webhook carries `X-Followthrough-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`;
Slack and Mattermost get a short text. Failures retry with exponential backoff up to
WEBHOOK_MAX_ATTEMPTS, and every try is in the delivery log.

Targets on private, loopback, link-local or reserved addresses are refused (when saved and
again before each try, after resolving the name) unless WEBHOOKS_ALLOW_PRIVATE is set, so a
webhook cannot be used to reach the install's own network. Redirects are not followed."""

import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from followthrough import events
from followthrough.integrations.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("followthrough.integrations")

DIGEST_READY = events.DIGEST_READY
MAX_BACKOFF = dt.timedelta(hours=6)
BATCH = 100


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def url_problem(url: str) -> str:
    """Why we will not post to this URL, or "" when we will."""
    return vet(url)[0]


def vet(url: str) -> tuple[str, str | None]:
    """(why we will not post there or "", the public address to connect to). The address is
    None when WEBHOOKS_ALLOW_PRIVATE lets any target through unresolved."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// address.", None
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return "", None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return "This host name does not resolve.", None
    addresses = [info[4][0].split("%")[0] for info in infos]
    if not all(map(is_public, addresses)):
        return ("This address is on a private or local network; we only post to public "
                "ones."), None
    return "", addresses[0]


# IPv6 ranges that carry an IPv4 address in their low 32 bits: NAT64 (RFC 6052, and the
# local-use prefix of RFC 8215) and the deprecated IPv4-compatible form (::a.b.c.d).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped, 6to4, Teredo (server and
    client), NAT64 and IPv4-compatible."""
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [ipv4 for ipv4 in found if ipv4 is not None]


def is_public(text: str) -> bool:
    """Whether a literal address (of any spelling: a scope, an IPv4 address inside IPv6) is
    public. Compared as address objects after normalising, never as text."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0].strip("[]"))
    except ValueError:
        return False
    candidates = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        candidates += embedded_ipv4(address)
    return all(c.is_global and not c.is_multicast for c in candidates)


@receiver(events.domain_event, dispatch_uid="integrations.outbound")
def on_domain_event(sender, business, name: str, payloads: list[dict], **kwargs) -> None:
    endpoints = [e for e in WebhookEndpoint.objects.filter(business=business, is_active=True)
                 if name in e.events]
    if not endpoints:
        return
    now = timezone.now()
    WebhookDelivery.objects.bulk_create([
        WebhookDelivery(business=business, endpoint=e, event=name, payload=payload,
                        next_attempt_at=now)
        for payload in payloads for e in endpoints
    ])


def body_for(delivery: WebhookDelivery) -> bytes:
    endpoint = delivery.endpoint
    if endpoint.format == WebhookEndpoint.SIGNED:
        document = {"id": delivery.public_id, "event": delivery.event,
                    "business": delivery.business.slug,
                    "created_at": delivery.created_at.isoformat(), "data": delivery.payload}
    else:
        document = {"text": notification_text(delivery)}
    return json.dumps(document, sort_keys=True).encode()


def notification_text(delivery: WebhookDelivery) -> str:
    data = delivery.payload
    business = delivery.business.name
    who = data.get("customer_name") or data.get("customer") or "a customer"
    if delivery.event == events.INCIDENT_OPENED:
        return (f":warning: {business}: {who} is unhappy. Reach out today. "
                f"{data.get('summary', '')}".strip())
    if delivery.event == DIGEST_READY:
        return data.get("text") or f"{business}: your daily digest is ready."
    if delivery.event == events.FEEDBACK_RECEIVED:
        return f"{business}: new feedback from {who}. {data.get('summary', '')}".strip()
    if delivery.event == events.PROMISE_OVERDUE:
        return f"{business}: a promise to {who} is overdue."
    if delivery.event == events.INBOUND_RECEIVED:
        if data.get("complaint"):
            return f":warning: {business}: {who} wrote, and it reads like a complaint."
        return f"{business}: {who} wrote. Reply from their page in Followthrough."
    return f"{business}: {delivery.event} ({who})."


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _pinned(connection_class, address: str):
    """An http.client connection class that connects to `address` whatever its host name
    resolves to by then. The name was checked when vetted; resolving it again to connect
    would let a DNS answer that changed in between (DNS rebinding) reach a private
    address. HTTPS still sends the name for SNI and checks the certificate against it."""
    def connect(host, **kwargs):
        connection = connection_class(host, **kwargs)
        connection._create_connection = (
            lambda target, *args: socket.create_connection((address, target[1]), *args))
        return connection
    return connect


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(_pinned(http.client.HTTPConnection, self.address), req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def https_open(self, req):
        return self.do_open(_pinned(http.client.HTTPSConnection, self.address), req,
                            context=self._context)


def _opener_for(address: str | None):
    """No redirects; with a vetted address, connections go there and no proxy is used."""
    if address is None:
        return _opener
    return urllib.request.build_opener(_NoRedirects, urllib.request.ProxyHandler({}),
                                       _PinnedHTTPHandler(address),
                                       _PinnedHTTPSHandler(address))


def attempt(delivery: WebhookDelivery, now: dt.datetime | None = None) -> bool:
    """One try; records the outcome on the row. True when delivered."""
    now = now or timezone.now()
    endpoint = delivery.endpoint
    delivery.attempts += 1
    problem, address = vet(endpoint.url)
    code, error = None, problem
    if not problem:
        body = body_for(delivery)
        headers = {"Content-Type": "application/json", "User-Agent": "Followthrough-Webhooks"}
        if endpoint.format == WebhookEndpoint.SIGNED:
            headers["X-Followthrough-Event"] = delivery.event
            headers["X-Followthrough-Delivery"] = delivery.public_id
            headers["X-Followthrough-Signature"] = sign(endpoint.secret, body, int(time.time()))
        request = urllib.request.Request(endpoint.url, data=body, headers=headers,  # noqa: S310 - scheme checked in url_problem
                                         method="POST")
        try:
            with _opener_for(address).open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
                code = response.status
        except urllib.error.HTTPError as exc:
            code, error = exc.code, f"The endpoint answered {exc.code}."
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = f"Could not connect: {getattr(exc, 'reason', exc)}"
        if code is not None and not 200 <= code < 300 and not error:
            error = f"The endpoint answered {code}."
    delivery.response_code = code
    if not error:
        delivery.status, delivery.delivered_at, delivery.last_error = (
            WebhookDelivery.DELIVERED, now, "")
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.FAILED
        delivery.last_error = f"Gave up after {delivery.attempts} tries. {error}"[:500]
    else:
        delay = dt.timedelta(seconds=settings.WEBHOOK_BACKOFF_SECONDS
                             * 2 ** (delivery.attempts - 1))
        delivery.next_attempt_at = now + min(delay, MAX_BACKOFF)
        delivery.last_error = error[:500]
    delivery.save(update_fields=["attempts", "status", "delivered_at", "last_error",
                                 "next_attempt_at", "response_code"])
    return not error


def deliver_due(now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Try every due delivery once; returns how many were delivered."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.filter(status=WebhookDelivery.PENDING,
                                           next_attempt_at__lte=now)
            .select_related("endpoint", "business").order_by("next_attempt_at", "id")[:limit]
        )
        # Push them back a lease's length first, so a second worker does not post them too.
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(
            next_attempt_at=now + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT * 3))
    return sum(attempt(delivery, now) for delivery in due)

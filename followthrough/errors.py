"""When something breaks: a request id on every request, the traceback of every 500 in the
log with that id, a friendly error page that shows it, and Sentry when SENTRY_DSN is set.

The id lets an owner who reports "it said error 3f9c…" be matched to one log record.
It is ours, made fresh for every request: an id a client sends is never trusted, because
it would land in log lines."""

import contextvars
import logging
import uuid

from django.http import HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default="-")
HEADER = "X-Request-ID"


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record as `request_id` ("-" outside a
    request, in the worker for example), so the formatter can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    """The 500 page. It renders without the request context on purpose: the database may
    be what failed, and the context processors ask it for the business."""
    request_id = getattr(request, "request_id", "") or current_request_id.get()
    try:
        body = loader.get_template(template_name).render({"request_id": request_id})
    except Exception:  # a broken template must not hide the error page itself
        body = f"<h1>Something went wrong</h1><p>Error reference: {request_id}</p>"
    return HttpResponseServerError(body)


def init_sentry(dsn: str, environment: str = "", release: str = "") -> bool:
    """Start Sentry's Django integration when a DSN is given; False when not. Personal data
    (addresses, cookies, form bodies, the signed-in user) is never sent."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn, integrations=[DjangoIntegration()], send_default_pii=False,
        environment=environment or None, release=release or None,
        traces_sample_rate=0.0, max_request_body_size="never",
    )
    return True


def tag_sentry(request_id: str) -> None:
    """Mark the Sentry event of this request with our id, when Sentry is on."""
    try:
        import sentry_sdk
    except ImportError:  # sentry-sdk is optional at run time
        return
    if sentry_sdk.get_client().is_active():
        sentry_sdk.set_tag("request_id", request_id)

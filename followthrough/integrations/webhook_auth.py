"""Which provider webhooks are on: only those whose authentication is configured.

An endpoint that cannot check who is calling must not exist, because what it records
(a bounce, a STOP) stops mail to a customer. An endpoint that is off answers 404 as if it
were not mounted (the check runs per request, so it follows the settings), and start-up
logs each one that is off and the setting that would turn it on (IntegrationsConfig.ready).
Only the tracking and inbound-mail webhooks of the providers below are routed at all;
anymail's other providers have nothing here to feed.

- Email bounce and complaint webhooks (django-anymail's `<provider>/tracking/`): the
  providers Followthrough configures, each with the secret anymail checks for it.
- Inbound email (anymail's `<provider>/inbound/`, customers' replies: conversations app):
  the same providers and the same secret as their tracking webhook.
- Twilio's inbound and status callbacks: TWILIO_AUTH_TOKEN, or a business's own token from
  its settings; the token signs every request.
- Sales webhooks (/integrations/inbound/<token>) carry a per-source secret and are always
  mounted; a source without a secret refuses every request (inbound.py)."""

import functools
import importlib.util
import logging

from django.conf import settings
from django.http import Http404

log = logging.getLogger("followthrough.integrations")

BASIC_AUTH = "WEBHOOK_SECRET"
# Provider → the ANYMAIL_* setting that authenticates its tracking webhook, and a package
# anymail needs to check it.
TRACKING_AUTH = {
    "postmark": (BASIC_AUTH, None),
    "sendgrid": (BASIC_AUTH, None),
    "amazon_ses": (BASIC_AUTH, None),
    "brevo": (BASIC_AUTH, None),
    "mailjet": (BASIC_AUTH, None),
    "sparkpost": (BASIC_AUTH, None),
    "mailgun": ("MAILGUN_WEBHOOK_SIGNING_KEY", None),
    "resend": ("RESEND_SIGNING_SECRET", "svix"),
}


def _basic_auth_ok(value: str) -> bool:
    user, _, password = (value or "").partition(":")
    return bool(user and password)


def tracking_problem(provider: str) -> str:
    """Why `provider`'s tracking webhook is off, or "" when it is mounted."""
    setting, package = TRACKING_AUTH[provider]
    value = (getattr(settings, "ANYMAIL", None) or {}).get(setting, "")
    if not value:
        return f"ANYMAIL_{setting} is not set"
    if setting == BASIC_AUTH and not _basic_auth_ok(value):
        return f"ANYMAIL_{setting} must look like user:password"
    if package and importlib.util.find_spec(package) is None:
        return f"the {package} package, which checks its signatures, is not installed"
    return ""


def tracking_providers() -> list[str]:
    return [provider for provider in TRACKING_AUTH if not tracking_problem(provider)]


def sms_problem() -> str:
    from followthrough.tenants.models import Business

    if settings.TWILIO_AUTH_TOKEN or Business.objects.exclude(sms_auth_token="").exists():
        return ""
    return "TWILIO_AUTH_TOKEN is not set, and no business has set up texts"


def report() -> None:
    """Log which provider webhooks are off and why: one debug line for those nobody chose,
    and a warning of its own for the configured email provider's (its bounces would go
    unnoticed) and for Twilio's when texts are configured."""
    off = []
    for provider in TRACKING_AUTH:
        problem = tracking_problem(provider)
        if problem and provider == settings.EMAIL_PROVIDER:
            log.warning("Webhook /integrations/anymail/%s/tracking/ is off: %s; bounces and "
                        "complaints will not be recorded.", provider, problem)
        elif problem:
            off.append(f"anymail/{provider}/tracking/ ({problem})")
    # The environment only: start-up must not read the database (a business's own token,
    # saved in its settings, turns them on too; sms_problem() sees it per request).
    problem = "" if settings.TWILIO_AUTH_TOKEN else "TWILIO_AUTH_TOKEN is not set"
    if problem and settings.TWILIO_ACCOUNT_SID:
        log.warning("Webhooks /integrations/sms/inbound and /status are off: %s; STOP replies "
                    "will not be recorded.", problem)
    elif problem:
        off.append(f"sms/inbound and sms/status ({problem})")
    if off:
        # Providers nobody chose: every process would print this line, so only on request.
        log.debug("Webhooks off until their secret is set: %s.", "; ".join(off))


def gate(view, problem):
    """`view`, answering 404 while `problem()` says why it is off."""
    @functools.wraps(view)
    def gated(request, *args, **kwargs):
        if problem():
            raise Http404("This webhook is not configured.")
        return view(request, *args, **kwargs)
    return gated


def tracking_patterns() -> list:
    """anymail's tracking routes for the providers above, each behind its gate."""
    from anymail import urls as anymail_urls
    from django.urls import path

    routes = []
    for pattern in anymail_urls.urlpatterns:
        provider = (pattern.name or "").removesuffix("_tracking_webhook")
        if pattern.name and pattern.name.endswith("_tracking_webhook") \
                and provider in TRACKING_AUTH:
            view = gate(pattern.callback, functools.partial(tracking_problem, provider))
            routes.append(path(f"{provider}/tracking/", view, name=pattern.name))
    return routes


def inbound_patterns() -> list:
    """anymail's inbound-mail routes for the providers above (those it has one for), each
    behind its provider's gate and answering refusals with a 4xx and the reason."""
    from anymail import urls as anymail_urls
    from django.urls import URLPattern
    from django.urls.resolvers import RoutePattern

    from followthrough.conversations.email_in import refusing

    routes = []
    for pattern in anymail_urls.urlpatterns:
        provider = (pattern.name or "").removesuffix("_inbound_webhook")
        if pattern.name and pattern.name.endswith("_inbound_webhook") \
                and provider in TRACKING_AUTH:
            view = gate(refusing(pattern.callback), functools.partial(tracking_problem, provider))
            for route in PLAIN_ROUTES.get(str(pattern.pattern), [pattern.pattern]):
                if isinstance(route, str):
                    route = RoutePattern(route, name=pattern.name)
                routes.append(URLPattern(route, view, pattern.default_args, pattern.name))
    return routes


# anymail's one regular-expression route, spelt out: the rate-limit table and the route
# walks in the tests read plain routes only.
PLAIN_ROUTES = {"^mailgun/inbound(_mime)?/$": ["mailgun/inbound/", "mailgun/inbound_mime/"]}

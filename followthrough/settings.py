"""Django settings, read from environment variables only (see README)."""

from pathlib import Path

import dj_database_url

from followthrough.env import ConfigError, env_bool, env_cache, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("FOLLOWTHROUGH_VAR_DIR", str(PROJECT_DIR / "var")))

DEMO_MODE = env_bool("FOLLOWTHROUGH_DEMO", False)
DEMO_SECRET_KEY = "demo-only-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEMO_SECRET_KEY if DEMO_MODE else "")
# Old keys, still accepted for sessions, signed links and encrypted secrets (followthrough.crypto)
# while SECRET_KEY is rotated.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
if not DEMO_MODE and (not SECRET_KEY or SECRET_KEY == DEMO_SECRET_KEY):
    raise ConfigError(
        "SECRET_KEY is missing or is the demo key. Set SECRET_KEY to a long random value "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or set FOLLOWTHROUGH_DEMO=1 to run the demo."
    )

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "followthrough.tenants",
    "followthrough.channels",
    "followthrough.playbooks",
    "followthrough.customers",
    "followthrough.touchpoints",
    "followthrough.feedback",
    "followthrough.conversations",
    "followthrough.agenda",
    "followthrough.search",
    "followthrough.insights",
    "followthrough.api",
    "followthrough.integrations",
    "followthrough.privacy",
    "followthrough.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "followthrough.tenants.middleware.BusinessMiddleware",
]

ROOT_URLCONF = "followthrough.urls"
WSGI_APPLICATION = "followthrough.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "followthrough.tenants.context_processors.business",
            ],
        },
    },
]


def _database_config() -> dict:
    default_sqlite = f"sqlite:///{VAR_DIR / 'followthrough.sqlite3'}"
    url = env_str("DATABASE_URL", default_sqlite)
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise ConfigError(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the worker; IMMEDIATE takes the write lock up front so
        # two writers queue on the busy timeout instead of failing with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # Kept open like PostgreSQL's: opening a file and re-reading the schema costs about
        # a millisecond a request, which is a third of a survey page.
        if config["NAME"] and config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["TEST"] = {"NAME": env_str("FOLLOWTHROUGH_TEST_SQLITE", "") or None}
    return config


DATABASES = {"default": _database_config()}
# API rate limits and the Insights figures count in this cache. Local memory is per process:
# with several web processes set CACHE_URL to a Redis (docs/operations.md).
CACHES = {"default": env_cache("CACHE_URL")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A web address typed without a scheme means https, as it will from Django 6.
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves from the finders in every mode; it only needs the collect folder to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
# How long a person may take back their own Done, Skip, Approve or Resolve (lifecycle.UNDO).
UNDO_SECONDS = env_int("UNDO_SECONDS", 10)
# Replies posted to the inbound email webhook (conversations/email_in.py): larger is a 413.
INBOUND_EMAIL_MAX_BYTES = env_int("INBOUND_EMAIL_MAX_BYTES", 10 * 1024 * 1024)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "followthrough.channels.outbox.OutboxEmailBackend"
    if DEMO_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "followthrough@localhost")
OUTBOX_ENABLED = EMAIL_BACKEND == "followthrough.channels.outbox.OutboxEmailBackend"

SESSION_COOKIE_HTTPONLY = True
# Database sessions, read with a query compiled once per process.
SESSION_ENGINE = "followthrough.tenants.sessions"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SITE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# The worker's tunables; see docs/operations.md.
WORKER_BATCH_SIZE = env_int("WORKER_BATCH_SIZE", 200)
WORKER_SEND_THREADS = env_int("WORKER_SEND_THREADS", 4)
WORKER_LEASE_SECONDS = env_int("WORKER_LEASE_SECONDS", 300)
WORKER_IDLE_SECONDS = env_int("WORKER_IDLE_SECONDS", 5)
WORKER_MAX_ATTEMPTS = env_int("WORKER_MAX_ATTEMPTS", 8)
WORKER_BACKOFF_SECONDS = env_int("WORKER_BACKOFF_SECONDS", 60)
# Send-rate limits shared by every worker (0 is off) and the archive policy; see
# docs/operations.md.
WORKER_MAX_SENDS_PER_SECOND = env_int("WORKER_MAX_SENDS_PER_SECOND", 0)
WORKER_BUSINESS_SENDS_PER_SECOND = env_int("WORKER_BUSINESS_SENDS_PER_SECOND", 0)
WORKER_BUSINESS_RATE_LIMITS = env_str("WORKER_BUSINESS_RATE_LIMITS", "")
ARCHIVE_AFTER_DAYS = env_int("ARCHIVE_AFTER_DAYS", 0)
ARCHIVE_DELETE_AFTER_DAYS = env_int("ARCHIVE_DELETE_AFTER_DAYS", 0)

# Everything goes to stderr, each line with the request's id ("-" outside a request). Django's
# own default sends request errors only to ADMINS by mail, so without the django.request
# logger here a 500 in production left no traceback anywhere (docs/operations.md).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "followthrough.errors.RequestIdFilter"}},
    "formatters": {"plain": {
        "format": "%(asctime)s %(levelname)s %(name)s [request %(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["request_id"]}},
    "loggers": {
        "followthrough": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
# Optional error reporting to Sentry (or a compatible service); off unless SENTRY_DSN is set.
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from followthrough.errors import init_sentry

    init_sentry(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", ""),
                release=env_str("SENTRY_RELEASE", ""))

# ---- integrations (issue 6) BEGIN: email providers, SMS, webhooks, imports, API limits ----
# EMAIL_PROVIDER picks a django-anymail backend (postmark, mailgun, sendgrid, amazon_ses,
# brevo, mailjet, resend, sparkpost, ...); empty keeps EMAIL_BACKEND (SMTP by default).
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "").strip().lower()
ANYMAIL = {
    key: env_str(f"ANYMAIL_{key}")
    for key in (
        "POSTMARK_SERVER_TOKEN", "MAILGUN_API_KEY", "MAILGUN_SENDER_DOMAIN",
        "MAILGUN_WEBHOOK_SIGNING_KEY", "SENDGRID_API_KEY", "AMAZON_SES_CONFIGURATION_SET_NAME",
        "BREVO_API_KEY", "MAILJET_API_KEY", "MAILJET_SECRET_KEY", "RESEND_API_KEY",
        "RESEND_SIGNING_SECRET", "SPARKPOST_API_KEY", "POSTMARK_WEBHOOK_SECRET",
        "WEBHOOK_SECRET",
    )
    if env_str(f"ANYMAIL_{key}")
}
if EMAIL_PROVIDER:
    if not EMAIL_PROVIDER.replace("_", "").isalnum():
        raise ConfigError(f"EMAIL_PROVIDER must be a provider name, not {EMAIL_PROVIDER!r}")
    EMAIL_BACKEND = f"anymail.backends.{EMAIL_PROVIDER}.EmailBackend"
    OUTBOX_ENABLED = False
INSTALLED_APPS.append("anymail")
# SMS through Twilio, install-wide: credentials come from the environment, never the database.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env_str("TWILIO_FROM", "")
TWILIO_API_BASE = env_str("TWILIO_API_BASE", "")  # only for tests against a local stand-in
# Outbound webhooks: private, loopback and link-local targets are refused unless allowed.
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_BACKOFF_SECONDS = env_int("WEBHOOK_BACKOFF_SECONDS", 30)
# Import limits (docs/integrations.md): an upload, its rows and columns, one cell, and
# what an XLSX file may unpack to (its guard against decompression bombs).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 500)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 10_000)
IMPORT_MAX_XLSX_UNPACKED = env_int("IMPORT_MAX_XLSX_UNPACKED", 100 * 1024 * 1024)
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)
# ---- integrations (issue 6) END ----

# ---- security (issue 8) BEGIN: headers, sign-in protection, two-factor, rate limits ----
# See docs/security.md for what each of these protects.
import datetime as _dt  # noqa: E402

from csp.constants import NONE as _NONE  # noqa: E402
from csp.constants import SELF as _SELF  # noqa: E402

INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "axes", "csp"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "followthrough.tenants.middleware.PublicLinkMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("followthrough.tenants.middleware.BusinessMiddleware"),
                  "followthrough.tenants.middleware.AuditContextMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes asks
# First of all: the request id (so every log line of the request has it), then NUL refusal,
# before anything reads the database with the request's text.
MIDDLEWARE[:0] = ["followthrough.tenants.middleware.RequestIdMiddleware",
                  "followthrough.tenants.middleware.RejectNulMiddleware"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "frame-ancestors": [_NONE],
        "form-action": [_SELF],
        "base-uri": [_SELF],
    }
}

if SITE_URL.startswith("https://"):
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Brute force: django-axes locks a username from one address after repeated failures.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("LOGIN_LOCKOUT_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = _dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "followthrough.tenants.forms.lockout_username"
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_VERBOSE = False

OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Followthrough")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 3600)
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7)

# The one table of limits for every route reachable without signing in: customer links,
# sign-in pages, provider webhooks and health. Keys are path prefixes (the longest match
# wins); a value is requests per client address per minute, or (requests, seconds).
# tests/test_rate_limit_table.py walks the URL conf and fails for a public route missing here.
PUBLIC_RATE_LIMIT_PER_MINUTE = env_int("PUBLIC_RATE_LIMIT_PER_MINUTE", 60)
HOOKS_RATE_LIMIT_PER_MINUTE = env_int("HOOKS_RATE_LIMIT_PER_MINUTE", 600)
# Forms that send an email or create a customer: each POST costs someone a message.
PUBLIC_FORM_RATE_LIMIT = (env_int("PUBLIC_FORM_RATE_LIMIT_PER_HOUR", 20), 3600)
PUBLIC_RATE_LIMITS = {
    # Links customers open from a message.
    "/s/": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/u/": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/r/": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/social/": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/cal/": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/n/": PUBLIC_FORM_RATE_LIMIT,
    "/ref/": PUBLIC_FORM_RATE_LIMIT,
    # Signing in, resetting a password, joining a team.
    "/login/": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/password/": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/invite/": PUBLIC_RATE_LIMIT_PER_MINUTE,
    # Providers' webhooks (each also checks its signature or secret).
    "/integrations/inbound/": HOOKS_RATE_LIMIT_PER_MINUTE,
    "/integrations/sms/inbound": HOOKS_RATE_LIMIT_PER_MINUTE,
    "/integrations/sms/status": HOOKS_RATE_LIMIT_PER_MINUTE,
    "/integrations/anymail/": HOOKS_RATE_LIMIT_PER_MINUTE,
    # Monitoring and the API's description (a GET that finds its page is never counted).
    # The API's own routes need a key and have a limit per key (API_RATE_LIMIT_PER_MINUTE).
    "/healthz": HOOKS_RATE_LIMIT_PER_MINUTE,
    "/api/v1/$": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/api/v1/docs": PUBLIC_RATE_LIMIT_PER_MINUTE,
    "/api/v1/openapi.json": PUBLIC_RATE_LIMIT_PER_MINUTE,
}
# ---- security (issue 8) END ----

from followthrough.prepared import Prepared
from followthrough.tenants.models import Membership
from followthrough.text import clean_line

SESSION_KEY = "business_slug"


class BusinessMiddleware:
    """Resolves request.business and request.membership once per request.

    A signed-in user works in one business at a time (agencies switch between them);
    anonymous requests and users without a membership get None."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        memberships = _memberships(request)
        request.membership = _current(memberships, request)
        request.business = request.membership.business if request.membership else None
        # The header's business switcher lists the rest, from the same query.
        request.other_memberships = [m for m in memberships if m is not request.membership]
        return self.get_response(request)


# Every signed-in request reads this: compiled once (followthrough/prepared.py).
_MEMBERSHIPS = Prepared(
    lambda user: Membership.objects.filter(user_id=user).select_related("business")
    .order_by("business__name", "id"), user=int)


def _memberships(request) -> list:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return _MEMBERSHIPS(user=user.pk)


def _current(memberships, request):
    """The business chosen in this session, else the first by name."""
    wanted = request.session.get(SESSION_KEY) if memberships else None
    chosen = [m for m in memberships if wanted and m.business.slug == wanted]
    return (chosen or memberships or [None])[0]


# ---- security (issue 8) ----


class RequestIdMiddleware:
    """Outermost: gives every request a fresh id, in `request.request_id`, on every log
    record written while it runs, and in the X-Request-ID response header; the 500 page
    shows it to the user (followthrough/errors.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from followthrough import errors

        request.request_id = errors.new_request_id()
        token = errors.current_request_id.set(request.request_id)
        errors.tag_sentry(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            errors.current_request_id.reset(token)
        response[errors.HEADER] = request.request_id
        return response


class RejectNulMiddleware:
    """Refuses a request that carries a NUL character in its path (404), or in its query
    string, form fields, cookies or headers (400), before any view or database sees it.
    PostgreSQL cannot store NUL in text, so without this one `%00` in a public link was a
    500; nothing legitimate ever sends one."""

    def __init__(self, get_response):
        self.get_response = get_response

    API = "/api/"

    def __call__(self, request):
        from django.http import HttpResponseBadRequest, HttpResponseNotFound, JsonResponse

        api = request.path_info.startswith(self.API)
        # The API checks its own ids and answers 404 naming the field, in its own shape.
        if not api and ("\x00" in request.path_info or "\x00" in request.path):
            return HttpResponseNotFound("Not found.\n", content_type="text/plain")
        where, field = _nul_in(request)
        if not where:
            return self.get_response(request)
        message = f"{where} has a NUL character in it, which we never accept."
        if api:  # the API's one error shape (followthrough/api/errors.py)
            return JsonResponse({"detail": [{"field": field, "message": message}]}, status=400)
        return HttpResponseBadRequest(f"{message} Remove it and try again.\n",
                                      content_type="text/plain; charset=utf-8")


def _nul_in(request) -> tuple[str, str | None]:
    """Where the request holds a NUL, in words and as a field name: the query string, a
    form field, a cookie or a header; ("", None) when it holds none. Uploaded files are the
    views' to judge."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
    from django.http.multipartparser import MultiPartParserError

    def first_bad(pairs) -> str | None:
        found = next((key for key, value in pairs if "\x00" in key or "\x00" in value), None)
        return None if found is None else clean_line(found.replace("\x00", ""))[:50]

    field = first_bad(_each(request.GET))
    if field is not None:
        return "The query string", field
    if first_bad(request.COOKIES.items()) is not None:
        return "A cookie", None
    header = first_bad((k, v) for k, v in request.META.items() if k.startswith("HTTP_"))
    if header is not None:
        return "A header", None
    if request.method == "POST" and request.content_type in FORM_TYPES:
        try:
            field = first_bad(_each(request.POST))
        except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
            return "", None  # the view meets the same error and answers it its own way
        if field is not None:
            return f"The field {field!r}", field
    return "", None


def _each(query):
    """Every (key, value) of a QueryDict, repeated keys included."""
    return ((key, value) for key, values in query.lists() for value in values)


FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front,
    the address the outermost trusted proxy saw (never a value the client can forge)."""
    from django.conf import settings

    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class AuditContextMiddleware:
    """Makes the current request known to tenants.audit.record() for code that has no
    request at hand (services), so the log still names who did it and from where."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from followthrough.tenants import audit

        token = audit.current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            audit.current_request.reset(token)


class PublicLinkMiddleware:
    """The links customers open (survey, unsubscribe, redirects, referral, calendar feed,
    invitations, inbound webhooks): a per-address rate limit, answered with 429 and
    Retry-After, and `Referrer-Policy: no-referrer` so the token in the address never
    leaks to the next site. Keyed by path prefix, so the views stay untouched.

    What is counted: every POST (and other unsafe method) before its view runs, and a GET
    or HEAD only when it misses (404). The tokens carry 128 random bits, so only a guess
    misses, and answers are POSTs; a customer reading a page is never counted, and a GET
    that finds its page writes nothing (docs/security.md)."""

    WINDOW_SECONDS = 60
    READ_ONLY = frozenset({"GET", "HEAD"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        prefix = public_prefix(request.path_info, settings.PUBLIC_RATE_LIMITS)
        if prefix is None:
            return self.get_response(request)
        limit, window = limit_and_window(settings.PUBLIC_RATE_LIMITS[prefix],
                                         self.WINDOW_SECONDS)
        key = f"{prefix}{client_ip(request)}"
        if request.method in self.READ_ONLY:
            response = self._read(request, key, limit, window)
        else:
            response = self._write(request, key, limit, window)
        # A page with a form that Django's CSRF check guards (signing in, joining a team,
        # a password reset) gets same-origin: under no-referrer Chromium posts
        # `Origin: null`, which the check refuses. Customer links get no-referrer.
        # (A page that used its CSRF token has the cookie set on its way out.)
        guarded = (getattr(request, "csrf_guarded", False)
                   and settings.CSRF_COOKIE_NAME in response.cookies)
        response["Referrer-Policy"] = "same-origin" if guarded else "no-referrer"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Customer links are csrf_exempt (their token is the key); all else is guarded.
        request.csrf_guarded = not getattr(view_func, "csrf_exempt", False)

    def _write(self, request, key: str, limit: int, window: int):
        """A POST (or another unsafe method): counted before its view, refused over the limit."""
        retry_after = rate_limited(key, limit, window)
        return too_many_requests(retry_after) if retry_after else self.get_response(request)

    def _read(self, request, key: str, limit: int, window: int):
        """A GET or HEAD: refused once the address has used up its limit, counted on a miss."""
        retry_after = over_limit(key, limit, window)
        if retry_after:
            return too_many_requests(retry_after)
        response = self.get_response(request)
        if response.status_code == 404:
            rate_limited(key, limit, window)
        return response


def public_prefix(path: str, table: dict) -> str | None:
    """The longest prefix of the limit table that `path` starts with, or None. The longest,
    so a stricter entry for a sub-path (a form) wins over its parent's. An entry ending in
    "$" matches only that exact path (the API's root, whose sub-paths have their own limit)."""
    matches = [prefix for prefix in table
               if (path == prefix[:-1] if prefix.endswith("$") else path.startswith(prefix))]
    return max(matches, key=len) if matches else None


def limit_and_window(entry, default_window: int) -> tuple[int, int]:
    """A table entry is a count per minute, or (count, window in seconds)."""
    if isinstance(entry, tuple | list):
        return int(entry[0]), int(entry[1])
    return int(entry), default_window


def _window(window_seconds: int) -> tuple[float, int]:
    import time

    now = time.time()
    return now, int(now // window_seconds)


def _row_key(key: str, window: int) -> str:
    return f"{key}@{window}"[:200]


def _retry_after(now: float, window: int, window_seconds: int) -> int:
    return max(1, int((window + 1) * window_seconds - now) + 1)


def rate_limited(key: str, limit: int, window_seconds: int) -> int:
    """Count one request for `key` in the current fixed window; the seconds to wait when
    over `limit`, else 0. One statement per request on SQLite and PostgreSQL (an upsert that
    returns the new count, atomic across processes); stale windows are swept as new ones
    open."""
    now, window = _window(window_seconds)
    # The row stores when its window ends, so windows of every length (a minute, an hour)
    # share one table and one sweep: a row is stale once its end has passed.
    ends = (window + 1) * window_seconds
    count = _count_request(_row_key(key, window), ends, int(now))
    return _retry_after(now, window, window_seconds) if count and count > limit else 0


def over_limit(key: str, limit: int, window_seconds: int) -> int:
    """Whether `key` has used up `limit` in the current window (so rate_limited() would refuse
    its next request), without counting: the seconds to wait, else 0. One read."""
    from django.db import connection

    from followthrough.tenants.models import RateCounter

    now, window = _window(window_seconds)
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    key_column, count = (connection.ops.quote_name(c) for c in ("key", "count"))
    # A raw SELECT: portable, and a fraction of the ORM's cost on a page every customer loads.
    # Only quoted model and column names are formatted in; the key is a parameter.
    sql = f"SELECT {count} FROM {table} WHERE {key_column} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [_row_key(key, window)])
        row = cursor.fetchone()
    return _retry_after(now, window, window_seconds) if row and row[0] >= limit else 0


def _count_request(full_key: str, ends: int, now: int) -> int:
    """Add one to the counter row for `full_key` and return its new value."""
    from django.db import connection

    from followthrough.tenants.models import RateCounter

    if connection.vendor in ("sqlite", "postgresql"):
        table = connection.ops.quote_name(RateCounter._meta.db_table)
        key, win, count = (connection.ops.quote_name(c) for c in ("key", "window", "count"))
        # Only quoted model and column names are formatted in; the values are parameters.
        sql = (f"INSERT INTO {table} ({key}, {win}, {count}) VALUES (%s, %s, 1) "  # noqa: S608
               f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1 "
               f"RETURNING {count}")
        # fetchall() so SQLite finishes the statement (and commits it) before we go on.
        with connection.cursor() as cursor:
            cursor.execute(sql, [full_key, ends])
            value = cursor.fetchall()[0][0]
        if value == 1:  # this request opened the window
            RateCounter.objects.filter(window__lt=now).delete()
        return value
    return _count_request_portable(full_key, ends, now)


def _count_request_portable(full_key: str, ends: int, now: int) -> int:
    """The same with the ORM, for databases without INSERT ... ON CONFLICT ... RETURNING."""
    from django.db import IntegrityError, transaction
    from django.db.models import F

    from followthrough.tenants.models import RateCounter

    updated = RateCounter.objects.filter(key=full_key).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=full_key, window=ends, count=1)
        except IntegrityError:
            RateCounter.objects.filter(key=full_key).update(count=F("count") + 1)
        RateCounter.objects.filter(window__lt=now).delete()
    return RateCounter.objects.filter(key=full_key).values_list("count", flat=True).first()


def too_many_requests(retry_after: int):
    from django.http import HttpResponse

    response = HttpResponse(
        "Too many requests from your address. Please wait a minute and try again.\n",
        status=429, content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response

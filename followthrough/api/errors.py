"""One error shape for the whole API: {"detail": [{"field": ..., "message": ...}]}.

Django ValidationErrors from the services, pydantic errors from ninja, 404s, 401s and
unparseable bodies all come out in this shape, so a client needs one error path. `field`
is a dotted path into the request ("customer.email"), or null when no field is to blame.
A 500 is only ever a bug: it is logged with its traceback and answered in the same shape.
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("followthrough.api")

# Names of the operation arguments that carry a request's body; they are not part of the
# field path a client sees.
BODY_PARAMS = frozenset({"payload"})
SOURCES = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})


class ApiError(Exception):
    """Raised by views for a 4xx naming a field."""

    def __init__(self, status: int, field: str | None, message: str) -> None:
        self.status = status
        self.field = field
        self.message = message
        super().__init__(f"{status} {field}: {message}")


class NotFound(ApiError):
    def __init__(self, field: str | None, message: str = "Not found.") -> None:
        super().__init__(404, field, message)


def detail(*errors: tuple[str | None, str]) -> dict:
    return {"detail": [{"field": field, "message": message} for field, message in errors]}


def django_errors(exc: DjangoValidationError, prefix: str = "") -> list[tuple[str | None, str]]:
    """Flattens a Django ValidationError into (field, message) pairs."""
    if hasattr(exc, "error_dict"):
        pairs = []
        for field, messages in exc.message_dict.items():
            if field == NON_FIELD_ERRORS:
                name = prefix.rstrip(".") or None
            else:
                name = prefix + field
            pairs.extend((name, message) for message in messages)
        return pairs
    return [(prefix.rstrip(".") or None, message) for message in exc.messages]


class FieldErrors(Exception):
    """A Django ValidationError re-raised with the field path it belongs under."""

    def __init__(self, exc: DjangoValidationError, prefix: str = "") -> None:
        self.pairs = django_errors(exc, prefix)
        super().__init__(self.pairs)


def _pydantic_field(loc) -> str | None:
    parts = [str(part) for part in loc]
    if parts and parts[0] in SOURCES:
        parts = parts[1:]
    if parts and parts[0] in BODY_PARAMS:
        parts = parts[1:]
    return ".".join(parts) or None


def _pydantic_message(error: dict) -> str:
    if error.get("type") == "extra_forbidden":
        return "Unknown field."
    if error.get("type") == "missing":
        return "This field is required."
    if error.get("type") == "timezone_aware":
        return ("Give the time with its UTC offset, e.g. 2025-03-01T10:00:00Z or "
                "2025-03-01T10:00:00-05:00.")
    return error.get("msg", "Invalid value.")


def install(api) -> None:
    def respond(request, status, errors, headers=None):
        response = api.create_response(request, detail(*errors), status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ApiError)
    def on_api_error(request, exc: ApiError):
        headers = {}
        if getattr(exc, "retry_after", None):
            headers["Retry-After"] = str(exc.retry_after)
        return respond(request, exc.status, [(exc.field, exc.message)], headers=headers)

    @api.exception_handler(FieldErrors)
    def on_field_errors(request, exc: FieldErrors):
        return respond(request, 422, exc.pairs)

    @api.exception_handler(DjangoValidationError)
    def on_django_validation_error(request, exc: DjangoValidationError):
        return respond(request, 422, django_errors(exc))

    @api.exception_handler(NinjaValidationError)
    def on_validation_error(request, exc: NinjaValidationError):
        errors = [(_pydantic_field(e.get("loc", ())) or "body", _pydantic_message(e))
                  for e in exc.errors]
        return respond(request, 422, errors)

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request, exc: AuthenticationError):
        return respond(
            request, 401,
            [("Authorization", "Send a valid API key as 'Authorization: Bearer <key>'.")],
            headers={"WWW-Authenticate": "Bearer"},
        )

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        # ninja raises HttpError(400) for a body that is not JSON.
        field = "body" if exc.status_code == 400 else None
        message = "The body is not valid JSON." if exc.status_code == 400 else str(exc)
        return respond(request, exc.status_code, [(field, message)])

    @api.exception_handler(Http404)
    def on_404(request, exc: Http404):
        return respond(request, 404, [(None, "Not found.")])

    @api.exception_handler(SuspiciousOperation)
    def on_suspicious(request, exc: SuspiciousOperation):
        if isinstance(exc, RequestDataTooBig):
            return respond(request, 413, [("body", "The request body is too large.")])
        return respond(request, 400, [(None, "Bad request.")])

    @api.exception_handler(Exception)
    def on_bug(request, exc: Exception):
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        return respond(request, 500, [(None, "Internal error. It has been logged.")])

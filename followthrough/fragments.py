"""Template fragments rendered once per process for the same inputs.

A card on Today is a large template (a script, the last touches, three forms), and rendering
six of them was most of the page's server time. Between two visits a card rarely changes, so
`render_fragment` keeps each rendered fragment under a digest of everything that can change
its text: every value in its context (for a model, every loaded field and every loaded
related row, recursively), the active time zone and the language. Nothing is ever stale: a
change to any input is a new digest and a fresh render. Entries are only dropped, oldest
first, when the cache is full.

Forms in a fragment carry a CSRF token, which must be this request's. The fragment is
rendered with a stand-in token and the stand-in is swapped for the request's token on
every use. A render that had to read the database (a field not loaded) is not kept: what it
read is not among the inputs, so a later change to it would go unseen."""

import contextlib
import dataclasses
import datetime as dt
import decimal
import hashlib
import pickle
import secrets
import threading
from collections import OrderedDict

from django.db import connections
from django.db.models import Model
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

ENTRIES = 512  # about 4 KB each: 2 MB a process at most
# Per process and unguessable, so no text a customer writes can contain it.
_TOKEN_STAND_IN = f"csrf-stand-in-{secrets.token_hex(16)}"


class _LeastRecentlyUsed:
    def __init__(self, size: int):
        self.size, self.entries, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_rendered = _LeastRecentlyUsed(ENTRIES)


def render_fragment(template_name: str, context: dict, request) -> SafeString:
    """`template_name` rendered with `context` (and no context processors), from the cache
    when the same inputs were rendered before. Its template must read nothing but `context`:
    no clock ({% now %}, timesince) and no request, since neither is an input."""
    key = _digest(template_name, context)
    html = _rendered.get(key)
    if html is None:
        html, read_the_database = _render(template_name, context)
        if not read_the_database:
            _rendered.put(key, html)
    return mark_safe(html.replace(_TOKEN_STAND_IN, _token(request)))  # noqa: S308


def _token(request) -> str:
    """The request's CSRF token, masked once for all its fragments: masking is slow (64
    random choices), and any masking of the same secret is accepted."""
    token = getattr(request, "_fragment_csrf_token", None)
    if token is None:
        token = request._fragment_csrf_token = get_token(request)
    return token


def _render(template_name: str, context: dict) -> tuple[str, bool]:
    queries = []

    def note(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with contextlib.ExitStack() as watching:
        for connection in connections.all(initialized_only=True):
            watching.enter_context(connection.execute_wrapper(note))
        html = render_to_string(template_name, {**context, "csrf_token": _TOKEN_STAND_IN})
    return html, bool(queries)


def _digest(template_name: str, context: dict) -> bytes:
    inputs = (template_name, timezone.get_current_timezone_name(),
              translation.get_language(), _inputs(context))
    # Pickle writes plain values twice as fast as repr(), and back to the same values, so two
    # different inputs never share a digest.
    return hashlib.blake2b(pickle.dumps(inputs, protocol=5), digest_size=32).digest()


_PLAIN = frozenset({str, int, float, bool, type(None), dt.datetime, dt.date, dt.time,
                    dt.timedelta, decimal.Decimal})


def _inputs(value, seen=None):
    """Everything `value` holds that a template could show, as nested tuples of plain values.
    A model met again (a row and its related rows can point at each other) is written as
    its place among the models already met, so the walk ends and stays one-to-one."""
    if type(value) in _PLAIN:
        return value
    seen = {} if seen is None else seen
    if isinstance(value, str | Promise):  # a SafeString shows unescaped: not the same input
        return (type(value).__name__, str(value))
    if isinstance(value, Model):
        return _model_inputs(value, seen)
    if isinstance(value, dict):
        return tuple((key, _inputs(item, seen)) for key, item in value.items())
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, tuple((field.name, _inputs(getattr(value, field.name), seen))
                                            for field in dataclasses.fields(value)))
    if isinstance(value, list | tuple | set | frozenset):
        return (type(value).__name__, tuple(_inputs(item, seen) for item in value))
    raise TypeError(f"a cached fragment cannot tell when a {type(value).__name__} changes")


def _model_inputs(value: Model, seen: dict):
    if id(value) in seen:
        return ("again", seen[id(value)])
    seen[id(value)] = len(seen)
    fields = tuple((name, field if type(field) in _PLAIN else _inputs(field, seen))
                   for name, field in value.__dict__.items() if name != "_state")
    related = tuple((name, _inputs(row, seen)) for name, row in
                    value._state.fields_cache.items())
    return (type(value).__name__, fields, related)

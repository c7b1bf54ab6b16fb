"""Querysets compiled to SQL once per process, for the pages opened all day.

Building and compiling a queryset costs more than running it: for Today's card query Django
spent about 0.9 ms writing the SQL and 0.25 ms running it. The SQL depends on the query's
shape, not on its values, so a `Prepared` query is built once with stand-in values and
compiled once per database (and per length of each list argument); every call binds the real
values in place of the stand-ins and turns the rows into models as the queryset would.

    _OPEN = Prepared(lambda business, until: Touchpoint.objects.filter(
        business_id=business, due_at__lt=until).select_related("customer"),
        business=int, until=dt.datetime)
    touches = _OPEN(business=request.business.pk, until=end_of_day)

Arguments are ints, strings, datetimes, dates, or lists of ints (`[int]`). A stand-in that
the compiled parameters do not hold (unused, or transformed by a lookup such as `contains`)
is an error when the query is first compiled, so no argument can be silently ignored. A
values_list query gives rows (tuples, converted as Django converts them) instead of models."""

import datetime as dt
import threading
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import ModelIterable, get_related_populators

# Far outside anything a row holds, so a stand-in cannot be mistaken for a real constant.
_INT_BASE = -7_300_000_000_000
_DATE_BASE = dt.date(1901, 2, 3)
_STRING_PREFIX = "\x00prepared-stand-in-"
# A list longer than this is not worth a compiled shape of its own: it runs as a queryset.
LONGEST_LIST = 64


def _stand_in(kind, number: int):
    if kind is int:
        return _INT_BASE - number
    if kind is str:
        return f"{_STRING_PREFIX}{number}"
    if kind is dt.datetime:
        return dt.datetime.combine(_DATE_BASE, dt.time(0, 0, 0, number + 1), tzinfo=dt.UTC)
    if kind is dt.date:
        return _DATE_BASE - dt.timedelta(days=number + 1)
    raise TypeError(f"a prepared argument is int, str, dt.datetime, dt.date or [int], not {kind}")


def _adapt(ops, value):
    """A value as Django hands it to the database driver for a field of its type."""
    if isinstance(value, dt.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return ops.adapt_datefield_value(value)
    return value


def _where_each_goes(params, stand_ins: dict, ops) -> list:
    """For each compiled parameter: (argument, index in its list or None), or (None, the
    constant itself)."""
    where = {}
    for name, value in stand_ins.items():
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            where[_adapt(ops, item)] = (name, index)
    slots, used = [], set()
    for param in params:
        found = where.get(param) if isinstance(param, int | str | dt.date) else None
        slots.append(found or (None, param))
        used.add(found)
    missing = set(where.values()) - used
    if missing:
        raise ValueError(f"a prepared query does not use {sorted({n for n, _ in missing})}")
    return slots


class _Shape:
    """One compiled shape: its SQL, where each argument goes, and how rows become models."""

    def __init__(self, queryset, stand_ins: dict):
        self.db = queryset.db
        ops = connections[self.db].ops
        self.compiler = queryset.query.get_compiler(using=self.db)
        try:
            self.sql, params = self.compiler.as_sql()
        except EmptyResultSet:  # e.g. `id__in=[]`: the query can find nothing
            self.sql, self.slots = None, []
            return
        self.slots = _where_each_goes(params, stand_ins, ops)
        fields = [column[0] for column in self.compiler.select[:self.compiler.col_count]]
        if self.compiler.has_composite_fields(fields):
            raise TypeError("a prepared query cannot select a composite key")
        self.converters = self.compiler.get_converters(fields)
        self.models = queryset._iterable_class is ModelIterable
        if self.models:
            self._prepare_models()

    def _prepare_models(self):
        select, info = self.compiler.select, self.compiler.klass_info
        fields = info["select_fields"]
        self.span = (fields[0], fields[-1] + 1)
        self.model = info["model"]
        self.init_list = [f[0].target.attname for f in select[self.span[0]:self.span[1]]]
        self.populators = get_related_populators(info, select, self.db)
        self.annotations = dict(self.compiler.annotation_col_map or {})

    def run(self, values: dict) -> list:
        if self.sql is None:
            return []
        connection = connections[self.db]
        params = [second if name is None
                  else _adapt(connection.ops, values[name] if second is None
                              else values[name][second])
                  for name, second in self.slots]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [self._model(row) for row in rows] if self.models else list(map(tuple, rows))

    def _model(self, row):
        start, end = self.span
        obj = self.model.from_db(self.db, self.init_list, row[start:end])
        for populator in self.populators:
            populator.populate(row, obj)
        for name, position in self.annotations.items():
            setattr(obj, name, row[position])
        return obj


class Prepared:
    """A query compiled once per process; call it with the values of its arguments."""

    def __init__(self, build: Callable, **kinds):
        self.build, self.kinds = build, kinds
        self._shapes: dict[tuple, _Shape] = {}
        self._lock = threading.Lock()

    def __call__(self, **values) -> list:
        lengths = tuple(len(values[name]) for name, kind in self.kinds.items()
                        if isinstance(kind, list))
        if any(length > LONGEST_LIST for length in lengths):
            return list(self.build(**values))
        return self._shape((connections[DEFAULT_DB_ALIAS].vendor, *lengths)).run(values)

    def _shape(self, key: tuple) -> _Shape:
        shape = self._shapes.get(key)
        if shape is None:
            with self._lock:
                shape = self._shapes.get(key) or self._compile(key[1:])
                self._shapes[key] = shape
        return shape

    def _compile(self, lengths: tuple) -> _Shape:
        stand_ins, number, sizes = {}, 0, iter(lengths)
        for name, kind in self.kinds.items():
            if isinstance(kind, list):
                stand_ins[name] = [_stand_in(kind[0], number + i) for i in range(next(sizes))]
                number += len(stand_ins[name])
            else:
                stand_ins[name] = _stand_in(kind, number)
                number += 1
        return _Shape(self.build(**stand_ins), stand_ins)

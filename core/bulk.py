"""Set-based inserts of thousands of rows, without the ORM compiler's per-value work.

`copy_insert(model, rows)` takes plain dicts of column values (imports of 10,000 rows, the
decisions, audit events and notifications of a bulk move, payment lines). It fills the
model's defaults once per field (once per column when no row names it), streams the rows
with COPY in pages and returns their ids, drawn from the table's sequence in one query
beforehand. Only for fields that need no preparation (no encrypted columns: callers pass
ciphertext). Fewer than `COPY_MIN_ROWS` rows, and other databases (SQLite in local mode),
go through `bulk_create`. No signals are sent, as with `bulk_create`; it joins the caller's
transaction.

`field__any=[…]` (`AnyOf`) passes thousands of ids as one array parameter, and
`gc_deferred` pauses cyclic garbage collection during an import.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.utils import timezone


def _text(value: Any) -> str:
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _converter(field: models.Field) -> Callable[[Any], str]:
    kind = field.get_internal_type()
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def to_json(value):
            return _text(json.dumps(value, cls=encoder, ensure_ascii=False))

        return to_json
    if kind == "BooleanField":
        return lambda value: "t" if value else "f"
    if kind in ("DateTimeField", "DateField"):
        return lambda value: value.isoformat()
    if kind in (
        "AutoField",
        "BigAutoField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "ForeignKey",
        "OneToOneField",
    ):
        return lambda value: str(int(value))
    if kind == "DecimalField":
        return lambda value: str(Decimal(value))
    if kind in (
        "CharField",
        "TextField",
        "EmailField",
        "SlugField",
        "URLField",
        "GenericIPAddressField",
    ):
        return _text
    raise TypeError(f"copy_insert: no converter for {field.model.__name__}.{field.name} ({kind})")


class AnyOf(models.Lookup):
    """`field__any=[…]`: `field = ANY(%s)` with the whole list as one array parameter.

    The same rows as `__in`, but Django prepares one parameter instead of one per value
    (10,000 USCCs or ids in an import). Other databases (SQLite in local mode) get `IN`.
    """

    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]


models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)  # foreign keys look up only their own registry

_MISSING = object()


def _column(
    field: models.Field, rows: list[Mapping[str, Any]], keys: set[str], now: datetime
) -> list[str]:
    """One column's COPY text for every row (a value shared by many rows is converted once).

    `keys` are the keys any row has: a column no row names is its default, converted once.
    """
    convert = _converter(field)
    attname, name = field.attname, field.name
    auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    factory = field.default if field.has_default() and callable(field.default) else None
    default = now if auto else (None if factory else field.get_default())
    if attname not in keys and name not in keys:
        if factory in (dict, list):  # an empty JSON default, the same text for every row
            return [convert(factory())] * len(rows)
        if auto or not factory:
            return ["\\N" if default is None else convert(default)] * len(rows)
    values = [row.get(attname, _MISSING) for row in rows]
    if _MISSING in values:
        for i, value in enumerate(values):
            if value is _MISSING:
                value = rows[i].get(name, _MISSING)
                if isinstance(value, models.Model):
                    value = value.pk
                elif value is _MISSING:
                    value = factory() if factory else default
                values[i] = value
    # Every row is alive during the call, so an object's id names it (shared JSON, dates).
    memo: dict[int, str] = {}
    texts = []
    for value in values:
        if value is None:
            texts.append("\\N")
            continue
        key = id(value)
        text = memo.get(key)
        if text is None:
            if isinstance(value, datetime) and timezone.is_naive(value):
                value = timezone.make_aware(value)
            text = memo[key] = convert(value)
        texts.append(text)
    return texts


COPY_MIN_ROWS = 20
COPY_PAGE = 5000


def copy_insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> list[int]:
    """Insert the rows (keys: field names or attnames) in one COPY; returns the new ids in order."""
    rows = list(rows)
    if not rows:
        return []
    # A few rows (one case's decision and audit event) are one INSERT … RETURNING rather
    # than a sequence query and a COPY.
    connection = connections[router.db_for_write(model)]
    if len(rows) < COPY_MIN_ROWS or connection.vendor != "postgresql":
        created = model._default_manager.bulk_create([model(**row) for row in rows])
        return [obj.pk for obj in created]
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    now = timezone.now()
    table = meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(rows)],
        )
        ids = [r[0] for r in cursor.fetchall()]
        columns = ", ".join(
            connection.ops.quote_name(c) for c in [pk.column] + [f.column for f in fields]
        )
        keys = set().union(*rows)
        # A page of rows per COPY: the text of 100,000 rows is never held at once.
        for start in range(0, len(rows), COPY_PAGE):
            page = rows[start : start + COPY_PAGE]
            columns_text = [[str(i) for i in ids[start : start + COPY_PAGE]]]
            for field in fields:
                columns_text.append(_column(field, page, keys, now))
            buffer = io.StringIO()
            buffer.writelines("\t".join(cells) + "\n" for cells in zip(*columns_text, strict=True))
            del columns_text
            buffer.seek(0)
            cursor.copy_expert(
                f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN", buffer
            )
    return ids


_gc_lock = threading.Lock()
_gc_holds = 0
_gc_was_enabled = False


@contextlib.contextmanager
def gc_deferred():
    """No automatic cyclic garbage collection while a bulk operation runs (decorator or block).

    An import of 10,000 rows allocates ~100,000 objects that live until it ends; each full
    collection walks the whole heap again, and measured 20 % of the recognition-list import.
    Reference counting still frees everything acyclic at once; the cycles are collected once
    at the end, by a pass over what the operation allocated. Nested and concurrent holds
    (threads of one worker) share one pause.
    """
    global _gc_holds, _gc_was_enabled
    with _gc_lock:
        if _gc_holds == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holds += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holds -= 1
            resume = _gc_holds == 0 and _gc_was_enabled
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)  # while paused, everything new stayed in the youngest generation

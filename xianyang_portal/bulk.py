"""Set-based inserts for imports of thousands of rows: PostgreSQL COPY with preallocated ids.

`bulk_create` prepares every value of every model instance in Python (about 0.1 ms per
field); an import of 10,000 rows writes half a million values. `copy_insert` takes plain
dicts of column values, fills the model's defaults once per field, streams the rows with
COPY and returns their ids (drawn from the table's sequence in one query beforehand).
No signals are sent, as with `bulk_create`. It joins the caller's transaction.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models
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
    if kind in ("CharField", "TextField", "EmailField", "SlugField", "URLField"):
        return _text
    raise TypeError(f"copy_insert: no converter for {field.model.__name__}.{field.name} ({kind})")


class AnyOf(models.Lookup):
    """`field__any=[…]`: `field = ANY(%s)` with the whole list as one array parameter.

    The same rows as `__in`, but Django prepares one parameter instead of one per value
    (10,000 USCCs or ids in an import).
    """

    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)  # foreign keys look up only their own registry

_MISSING = object()


def _column(field: models.Field, rows: list[Mapping[str, Any]], now: datetime) -> list[str]:
    """One column's COPY text for every row (a value shared by many rows is converted once)."""
    convert = _converter(field)
    attname, name = field.attname, field.name
    auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    factory = field.default if field.has_default() and callable(field.default) else None
    default = now if auto else (None if factory else field.get_default())
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


def copy_insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> list[int]:
    """Insert the rows (keys: field names or attnames) in one COPY; returns the new ids in order."""
    rows = list(rows)
    if not rows:
        return []
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
        columns_text = [[str(i) for i in ids]]
        for field in fields:
            columns_text.append(_column(field, rows, now))
        buffer = io.StringIO()
        buffer.writelines("\t".join(cells) + "\n" for cells in zip(*columns_text, strict=True))
        buffer.seek(0)
        columns = ", ".join(
            connection.ops.quote_name(c) for c in [pk.column] + [f.column for f in fields]
        )
        cursor.copy_expert(
            f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN", buffer
        )
    return ids

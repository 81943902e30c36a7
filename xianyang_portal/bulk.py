"""Insert thousands of plain rows at once (decisions, audit events, notifications of a bulk
move) without the ORM compiler's per-value work.

`bulk_insert(objs)` is `Model.objects.bulk_create(objs)` for new rows with no conflicts and
no signals (bulk_create sends none either): each field prepares its own value as in a save
(`pre_save`, `get_db_prep_save`: encryption, JSON, defaults, auto_now_add) and psycopg2's
`execute_values` sends a page of rows per statement, returning their primary keys. On other
databases (SQLite in local mode) it is `bulk_create`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router

PAGE = 2000


def bulk_insert(objs: Sequence[models.Model], *, page: int = PAGE) -> list[models.Model]:
    if not objs:
        return list(objs)
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs, batch_size=page)
    from psycopg2.extras import execute_values

    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    rows = [
        tuple(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields)
        for obj in objs
    ]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from the model
        f"VALUES %s RETURNING {quote(opts.pk.column)}"
    )
    with connection.cursor() as cursor:
        ids = execute_values(cursor.cursor, sql, rows, page_size=page, fetch=True)
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias
    return list(objs)

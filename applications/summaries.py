"""Pre-aggregated application counts and amounts (ApplicationSummary), kept exact.

One cell per round × measure × department × place × status holds the number of applications
and the sum of their approved amounts. The place is the application's own copy
(`Application.place`), the same one the county queues and the API scope by; when an
organisation moves, `summaries_move_place` moves its cells with its cases. Every status move goes through
`summaries_on_moves`, an observer of the lifecycle engine (single and bulk moves alike, in
the same transaction as the move), so the cells always equal a direct count.
`summaries_refresh` recounts everything (Celery beat, after bulk loads and state set-up).
Drafts are not counted.

`summaries_version` is a number that moves on with every change of the cells, of the budgets
and of the places (a PostgreSQL sequence, so every process reads the same one): the dashboard
caches its figures under it (payments.selectors.dashboard_cached).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from accounts.services import observe_organisation_place

from .lifecycle.context import EffectContext
from .lifecycle.effects import observe_moves
from .models import Application, ApplicationSummary, Status

ZERO = Decimal("0.00")
VERSION_SEQUENCE = "applications_summary_version"  # migration 0010
Cell = tuple[int, int, int, int, str]  # round, measure, department, place, status


def _cell(application: Application, status: str) -> Cell:
    clause = application.clause
    return (
        application.round_id,
        clause.measure_id,
        clause.department_id,
        application.place_id,
        status,
    )


def _bump_version() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [VERSION_SEQUENCE])


def summaries_changed(**_kwargs) -> None:
    """Move the version on now and again once the transaction commits: a reader during the
    transaction caches the committed (old) figures under the first number, and the second
    makes every reader after the commit count again. (Also a signal receiver.)"""
    if connections["default"].vendor != "postgresql":
        return
    _bump_version()
    transaction.on_commit(_bump_version, using="default")


def summaries_version() -> int | None:
    """The current version, or None when figures must not be cached: not PostgreSQL, or reads
    come from a replica (which may lag behind the number read from the primary)."""
    default = connections["default"]
    if default.vendor != "postgresql" or getattr(settings, "READ_REPLICA_ALIAS", None):
        return None
    with default.cursor() as cursor:
        cursor.execute(f"SELECT last_value, is_called FROM {VERSION_SEQUENCE}")  # noqa: S608
        value, called = cursor.fetchone()
    return value if called else 0


def _apply(deltas: dict[Cell, list]) -> None:
    """Add (count, amount) deltas to their cells in one upsert, in key order (no deadlocks)."""
    rows = [
        (*cell, n, amount) for cell, (n, amount) in sorted(deltas.items()) if n or amount != ZERO
    ]
    if not rows:
        return
    table = ApplicationSummary._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    # Only our own table name and placeholders are formatted in; values are parameters.
    sql = (
        f"INSERT INTO {table} (round_id, measure_id, department_id, place_id, status, count, "  # noqa: S608
        f"approved_amount) VALUES {values} "
        "ON CONFLICT (round_id, measure_id, department_id, place_id, status) DO UPDATE SET "
        f"count = {table}.count + excluded.count, "
        f"approved_amount = {table}.approved_amount + excluded.approved_amount"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def _add(deltas: dict[Cell, list], application, source, target, amount_before) -> None:
    if source != Status.DRAFT:
        cell = deltas[_cell(application, source)]
        cell[0] -= 1
        cell[1] -= amount_before or ZERO
    if target != Status.DRAFT:
        cell = deltas[_cell(application, target)]
        cell[0] += 1
        cell[1] += application.approved_amount or ZERO


@observe_moves
def summaries_on_moves(contexts: Iterable[EffectContext]) -> None:
    """The lifecycle engine's observer: every move of a call (one or thousands), in the
    transaction that moves them, in one upsert."""
    deltas: dict[Cell, list] = defaultdict(lambda: [0, ZERO])
    for ctx in contexts:
        _add(deltas, ctx.application, ctx.source, ctx.target, ctx.approved_before)
    _apply(deltas)
    summaries_changed()


def summary_direct_rows():
    """The same figures counted from the applications themselves (refresh and checks)."""
    return (
        Application.objects.exclude(status=Status.DRAFT)
        .values(
            "round_id",
            "clause__measure_id",
            "clause__department_id",
            "place_id",
            "status",
        )
        .annotate(n=Count("pk"), amount=Coalesce(Sum("approved_amount"), ZERO))
        .order_by()
    )


def summaries_move_place(application_ids: list[int], place_id: int) -> None:
    """These cases' cells move to `place_id`, with the cases (in the caller's transaction).

    Locks the cases first, as a status move does, so no move can change them between the
    count taken here and their new place (`accounts.services` moving an organisation)."""
    rows = Application.objects.filter(pk__in=application_ids)
    list(rows.order_by("pk").select_for_update().values_list("pk", flat=True))  # as the engine
    deltas: dict[Cell, list] = defaultdict(lambda: [0, ZERO])
    for row in summary_direct_rows().filter(pk__in=application_ids).exclude(place_id=place_id):
        old = (
            row["round_id"],
            row["clause__measure_id"],
            row["clause__department_id"],
            row["place_id"],
            row["status"],
        )
        for cell, sign in ((old, -1), ((*old[:3], place_id, old[4]), 1)):
            deltas[cell][0] += sign * row["n"]
            deltas[cell][1] += sign * row["amount"]
    rows.update(place_id=place_id)
    _apply(deltas)
    summaries_changed()


@observe_organisation_place
def _organisation_moved(organisation) -> None:
    """An organisation moved to another county: its cases move with it, in the same
    transaction (only this organisation's cells)."""
    ids = list(
        Application.objects.filter(organisation_id=organisation.pk).values_list("pk", flat=True)
    )
    summaries_move_place(ids, organisation.place_id)


@transaction.atomic
def summaries_refresh() -> int:
    """Recount every cell from the applications (idempotent). Returns the number of cells."""
    # Serialise with the incremental updates: they lock the cells they touch.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {ApplicationSummary._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"
            )
    ApplicationSummary.objects.all().delete()
    cells = [
        ApplicationSummary(
            round_id=row["round_id"],
            measure_id=row["clause__measure_id"],
            department_id=row["clause__department_id"],
            place_id=row["place_id"],
            status=row["status"],
            count=row["n"],
            approved_amount=row["amount"],
        )
        for row in summary_direct_rows()
    ]
    ApplicationSummary.objects.bulk_create(cells, batch_size=2000)
    summaries_changed()
    return len(cells)

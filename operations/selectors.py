"""Reads of the outbox for the operations page (backlog, failures), with who may see them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import user_scopes
from outbox.models import OutboxMessage


def can_operate(user) -> bool:
    """The policy administrator or the security administrator (operations, not business data)."""
    scopes = user_scopes(user)
    return scopes.has(Role.POLICY_ADMIN) or scopes.has(Role.SECURITY_ADMIN)


@dataclass(frozen=True)
class Backlog:
    kind: str
    pending: int
    failed: int
    oldest_minutes: int | None


def outbox_messages_visible_to(*, user) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.all() if can_operate(user) else OutboxMessage.objects.none()


def outbox_backlog(*, user) -> list[Backlog]:
    rows = (
        outbox_messages_visible_to(user=user)
        .exclude(state=OutboxMessage.State.DONE)
        .values("kind", "state")
        .annotate(n=Count("pk"), oldest=Min("created_at"))
    )
    by_kind: dict[str, dict] = {}
    now = timezone.now()
    for row in rows:
        entry = by_kind.setdefault(row["kind"], {"pending": 0, "failed": 0, "oldest": None})
        entry[row["state"]] = row["n"]
        if entry["oldest"] is None or row["oldest"] < entry["oldest"]:
            entry["oldest"] = row["oldest"]
    return [
        Backlog(
            kind=kind,
            pending=entry["pending"],
            failed=entry["failed"],
            oldest_minutes=int((now - entry["oldest"]).total_seconds() // 60),
        )
        for kind, entry in sorted(by_kind.items())
    ]


def outbox_problems(*, user, limit: int = 100) -> QuerySet[OutboxMessage]:
    """Failed rows, and pending rows that already failed at least once."""
    return (
        outbox_messages_visible_to(user=user)
        .exclude(state=OutboxMessage.State.DONE)
        .exclude(last_error="")
        .order_by("state", "-created_at")[:limit]
    )

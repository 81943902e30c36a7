"""The one place that writes audit events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models

from .models import AuditEvent


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any]:
    return {
        key: (
            None
            if value is None
            else str(value)
            if not isinstance(value, bool | int | list | dict)
            else value
        )
        for key, value in (values or {}).items()
    }


def audit_record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str = "",
) -> AuditEvent:
    """Append an event; call it inside the transaction that made the change."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        before=_jsonable(before),
        after=_jsonable(after),
        comment=comment,
    )


@dataclass(frozen=True)
class AuditEntry:
    obj: models.Model
    action: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    comment: str = ""


def audit_record_many(*, actor: Any, entries: list[AuditEntry]) -> None:
    """Append many events of one actor at once (bulk status moves); same rows as audit_record."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor if getattr(actor, "pk", None) else None,
                object_type=e.obj._meta.label_lower,
                object_id=str(e.obj.pk),
                object_repr=str(e.obj)[:200],
                action=e.action,
                before=_jsonable(e.before),
                after=_jsonable(e.after),
                comment=e.comment,
            )
            for e in entries
        ],
        batch_size=2000,
    )


def audit_events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")

"""The one place that writes audit events."""

from __future__ import annotations

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


def audit_events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")

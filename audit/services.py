"""The one place that writes audit events, and the chain that makes them tamper-evident."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, router, transaction
from django.utils import timezone

from core.bulk import copy_insert
from core.crypto import hmac_sm3, mask_personal

from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _jsonable(value: Any) -> Any:
    """JSON that survives a jsonb round trip unchanged (so the hash can be recomputed)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return str(value)


def _key() -> bytes:
    return bytes.fromhex(settings.AUDIT_CHAIN_KEY)


def event_digest(event: AuditEvent) -> str:
    """HMAC-SM3 over the event's content, its position and the previous event's hash."""
    return _digest({f: getattr(event, f) for f in _CHAINED})


# The columns an event's hash covers (with the actor as its id).
_CHAINED = (
    "sequence",
    "prev_hash",
    "occurred_at",
    "actor_id",
    "object_type",
    "object_id",
    "object_repr",
    "action",
    "before",
    "after",
    "comment",
    "ip_address",
)


def _digest(row: dict[str, Any]) -> str:
    content = {
        "sequence": row["sequence"],
        "prev": row["prev_hash"],
        "at": row["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": row["actor_id"],
        "type": row["object_type"],
        "id": row["object_id"],
        "repr": row["object_repr"],
        "action": row["action"],
        "before": row["before"],
        "after": row["after"],
        "comment": row["comment"],
        "ip": row["ip_address"],
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac_sm3(_key(), text.encode())


def head_mac(head: AuditChainHead) -> str:
    text = f"{head.head_sequence}|{head.head_hash}|{head.base_sequence}|{head.base_prev_hash}"
    return hmac_sm3(_key(), text.encode())


def _ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def audit_chain_head_lock() -> AuditChainHead:
    """The chain head, row-locked until the caller's transaction ends: appends queue here."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=1, base_prev_hash=GENESIS, head_hash=GENESIS)
    except IntegrityError:
        pass  # another transaction created it first
    return AuditChainHead.objects.select_for_update().get(pk=1)


# The address of the request being served (AuditRequestMiddleware): every event a page or API
# call records carries it, not only the security events that passed it (等保: who, when, from
# where). Celery tasks and commands have none.
request_ip_var: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)


def _chain(rows: Sequence[dict[str, Any]]) -> None:
    """Seal plain event rows in order after the chain head (row-locked until the caller's
    transaction ends): masked JSON, sequence, previous hash and hash."""
    head = audit_chain_head_lock()
    previous, sequence = head.head_hash, head.head_sequence
    now = timezone.now()
    for row in rows:
        sequence += 1
        row["occurred_at"] = row.get("occurred_at") or now
        # Personal data never reaches the audit JSON in clear (masked, whoever calls).
        row["before"] = _jsonable(mask_personal(row.get("before") or {}))
        row["after"] = _jsonable(mask_personal(row.get("after") or {}))
        row["ip_address"] = _ip(row.get("ip_address") or request_ip_var.get())
        row["sequence"] = sequence
        row["prev_hash"] = previous
        row["hash"] = previous = _digest(row)
    head.head_sequence, head.head_hash = sequence, previous
    head.mac = head_mac(head)
    head.save(update_fields=["head_sequence", "head_hash", "mac"])


@transaction.atomic
def audit_append(events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert unsaved events, in order, inside the caller's transaction."""
    rows = [{f: getattr(event, f) for f in _CHAINED} for event in events]
    ids = audit_append_rows(rows)
    for event, row, pk in zip(events, rows, ids, strict=True):
        for name, value in row.items():
            setattr(event, name, value)
        event.pk = pk
        event._state.adding = False
        event._state.db = router.db_for_write(AuditEvent)
    return list(events)


@transaction.atomic
def audit_append_rows(rows: list[dict[str, Any]]) -> list[int]:
    """As `audit_append`, for plain rows (`_CHAINED` keys but the chain's own; thousands in a
    bulk move): sealed in order, written in one statement or COPY; returns their ids."""
    if not rows:
        return []
    _chain(rows)
    return copy_insert(AuditEvent, rows)


def audit_record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """Append an event; call it inside the transaction that made the change."""
    return audit_append(
        [
            AuditEvent(
                actor=actor if getattr(actor, "pk", None) else None,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                action=action,
                before=before or {},
                after=after or {},
                comment=comment,
                ip_address=ip_address,
            )
        ]
    )[0]


@dataclass(frozen=True)
class AuditEntry:
    obj: models.Model
    action: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    comment: str = ""


def audit_record_many(*, actor: Any, entries: list[AuditEntry]) -> None:
    """Append many events of one actor at once (bulk status moves), chained in order."""
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    audit_append_rows(
        [
            {
                "actor_id": actor_id,
                "object_type": e.obj._meta.label_lower,
                "object_id": str(e.obj.pk),
                "object_repr": str(e.obj)[:200],
                "action": e.action,
                "before": e.before,
                "after": e.after,
                "comment": e.comment,
            }
            for e in entries
        ]
    )


def client_ip(request: Any) -> str | None:
    """The client address as the login throttling sees it (trusted-proxy rules included)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def audit_security_event(
    *,
    actor: Any,
    action: str,
    request: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    detail: dict[str, Any] | None = None,
    comment: str = "",
) -> AuditEvent:
    """A security event (`security.login`, `security.2fa_reset`, `security.export`, ...).

    `target` is the record concerned (the user whose role changed, the file downloaded);
    without one the event is filed under the actor, or under `target_label` (e.g. the
    username of a failed login). Never pass secrets in `detail`.
    """
    if target is not None:
        object_type, object_id, label = target._meta.label_lower, str(target.pk), str(target)
    elif getattr(actor, "pk", None):
        object_type, object_id, label = actor._meta.label_lower, str(actor.pk), str(actor)
    else:
        object_type, object_id, label = "security", target_label[:40], target_label
    return audit_append(
        [
            AuditEvent(
                actor=actor if getattr(actor, "pk", None) else None,
                object_type=object_type,
                object_id=object_id,
                object_repr=(label or target_label or action)[:200],
                action=action,
                after=detail or {},
                comment=comment,
                ip_address=client_ip(request),
            )
        ]
    )[0]


def audit_events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    sequence: int | None
    event_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"event #{self.sequence}" if self.sequence is not None else "chain"
        if self.event_id is not None:
            where += f" (id {self.event_id})"
        return f"{where}: {self.message}"


def audit_chain_problems(*, limit: int = 20) -> list[ChainProblem]:
    """Walk the chain in order; the first problem is the first bad event."""
    problems: list[ChainProblem] = []
    head = AuditChainHead.objects.filter(pk=1).first()
    events = AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence")
    if head is None:
        if events.exists():
            problems.append(ChainProblem(None, None, "the chain head is missing"))
        return problems
    if head.mac != head_mac(head):
        problems.append(ChainProblem(None, None, "the chain head was altered"))
    expected, previous = head.base_sequence, head.base_prev_hash
    for event in _iter(events):
        if event.sequence != expected:
            problems.append(
                ChainProblem(
                    expected,
                    None,
                    f"missing (removed); the chain continues at #{event.sequence} (id {event.pk})",
                )
            )
        elif event.prev_hash != previous:
            problems.append(
                ChainProblem(event.sequence, event.pk, "chain cut: previous hash does not match")
            )
        if event_digest(event) != event.hash:
            problems.append(ChainProblem(event.sequence, event.pk, "content altered"))
        if len(problems) >= limit:
            return problems
        expected, previous = event.sequence + 1, event.hash
    if expected - 1 != head.head_sequence or previous != head.head_hash:
        problems.append(
            ChainProblem(
                expected,
                None,
                f"missing (truncated): the chain ends at #{expected - 1} "
                f"but its head records #{head.head_sequence}",
            )
        )
    return problems


def _iter(events: models.QuerySet[AuditEvent]) -> Iterable[AuditEvent]:
    return events.iterator(chunk_size=5000)

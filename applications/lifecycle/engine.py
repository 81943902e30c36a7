"""The one engine that moves an application's status, one case or many.

For each item it locks the rows (applications by primary key, then what the effects lock),
checks the table, the actor's role and scope, conflict of interest and separation of duties,
runs the transition's guarded effects (amounts, budget, eligibility) in a savepoint, writes
the status, a typed decision row and the audit event, then runs the after-effects
(notifications, letters) for every moved item together. A bulk call returns one result per
item; one refusal does not stop the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import user_scopes
from audit.services import AuditEntry, audit_record_many
from core.bulk import copy_insert
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.fields import EncryptedCharField

from ..ledger import lock_award_groups
from ..models import Application, Decision
from . import effects as effect_handlers
from .context import EffectContext, TransitionRequest, TransitionResult
from .statuses import REVIEW_STAGES, Status, status_label
from .transitions import (
    APPLICANT,
    FIRST_STAGE,
    NEXT_STAGE,
    PUBLIC,
    RETURN_STAGE,
    STAGE_ROLE,
    SYSTEM,
    Action,
    Transition,
    transition_for,
)

# Actions whose effects read and write the award ledger (award_reserve, award_adjust).
LEDGER_ACTIONS = frozenset(
    (Action.SUBMIT, Action.RESUBMIT, Action.RECOMMEND, Action.APPROVE, Action.AMEND)
)


def actor_kinds(
    actor: User | None,
    application: Application,
    *,
    system: bool = False,
) -> set[str]:
    """What the actor is for this application: applicant, a scoped reviewer role, system."""
    if system:
        return {SYSTEM, PUBLIC}
    if actor is None or not getattr(actor, "pk", None):
        return {PUBLIC}
    scopes = user_scopes(actor)
    kinds: set[str] = set()
    if application.organisation_id in scopes.organisation_ids:
        kinds.add(APPLICANT)
    for role in scopes.roles:
        if role == "county_reviewer" and application.place_id not in scopes.place_ids:
            continue
        if (
            role == "department_reviewer"
            and application.clause.department_id not in scopes.department_ids
        ):
            continue
        kinds.add(role)
    return kinds


def review_stages_of(application: Application) -> list[str]:
    """The measure's review levels in order, always ending with the approver's 审定."""
    stages = [s for s in application.clause.measure.review_stages if s in REVIEW_STAGES]
    return [*stages, Status.APPROVAL]


def _target(transition: Transition, application: Application) -> str:
    if transition.target == FIRST_STAGE:
        return review_stages_of(application)[0]
    if transition.target == NEXT_STAGE:
        stages = review_stages_of(application)
        return stages[stages.index(application.status) + 1]
    if transition.target == RETURN_STAGE:
        return application.returned_from or review_stages_of(application)[0]
    return transition.target


# What the checks and effects read of each case, attached after the lock (not locked).
LOCKED_RELATED = ("organisation", "clause", "round", "rule_version")


def lock_applications(application_ids: Sequence[int]) -> dict[int, Application]:
    """Row-lock applications in primary-key order (every path locks in this order)."""
    query = (
        Application.objects.select_for_update(of=("self",))
        .filter(pk__any=list(application_ids))
        .order_by("pk")
    )
    if len(application_ids) <= 1:
        # One case (a submit, a review): its related rows joined into the locking query.
        rows = list(query.select_related(*LOCKED_RELATED, "clause__measure", "clause__policy"))
    else:
        rows = list(query)
        _attach_related(rows)
    return {a.pk: a for a in rows}


def _attach_related(applications: list[Application]) -> None:
    """Each distinct organisation, clause (with its measure), round and rule version read once
    and shared by its cases: a payment batch moves thousands of cases of a few clauses, and
    one joined row per case cost as much as the move itself (decrypting the payee's bank
    fields each time)."""
    if not applications:
        return
    for name in LOCKED_RELATED:
        field = Application._meta.get_field(name)
        model = field.related_model
        # No check or effect reads the encrypted fields (bank account, phone): not decrypted
        # here; a deferred field is still read on first access.
        encrypted = [
            f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)
        ]
        queryset = model._base_manager.defer(*encrypted)
        if name == "clause":
            queryset = queryset.select_related("measure", "policy")
        wanted = list({getattr(a, field.attname) for a in applications} - {None})
        found = {row.pk: row for row in queryset.filter(pk__any=wanted)}  # one array parameter
        for application in applications:
            field.set_cached_value(application, found.get(getattr(application, field.attname)))


def _decided_amount(application: Application) -> Decimal | None:
    if application.approved_amount is not None:
        return application.approved_amount
    return application.recommended_amount


_ACTION_LABELS = {action.value: action.label for action in Action}


class _ActionLabel:
    """The action's label, looked up only when a refusal message is written (not per item)."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __str__(self) -> str:
        return str(_ACTION_LABELS.get(self.action, self.action))


def _check(
    *,
    actor: User | None,
    application: Application,
    request: TransitionRequest,
    system: bool,
    acted_at: dict[int, set[str]],
) -> Transition:
    """Refuse with a DomainError, or return the transition this request takes."""
    label = _ActionLabel(request.action)
    if request.expected_revision is not None and request.expected_revision != application.revision:
        raise Conflict(
            _("该申报已被他人处理（当前状态：%(status)s），请刷新页面后再操作。")
            % {"status": application.get_status_display()},
            code="stale",
        )
    kinds = actor_kinds(actor, application, system=system)
    if not kinds:
        raise NotAllowed(_("您无权处理该申报。"), code="not_allowed")
    transition = transition_for(application.status, request.action)
    if transition is None:
        # 409, like a stale revision: the case's current state refuses the action (most often
        # someone else moved it first), and a client reloads rather than fixing its request.
        raise Conflict(
            _("当前状态“%(status)s”下不能执行“%(action)s”。")
            % {"status": application.get_status_display(), "action": label},
            code="invalid_transition",
        )
    if not kinds & transition.actors:
        raise NotAllowed(
            _("您无权对该申报执行“%(action)s”。") % {"action": label}, code="not_allowed"
        )
    is_review_step = application.status in REVIEW_STAGES and not system and actor is not None
    if is_review_step and APPLICANT in kinds and request.action != Action.WITHDRAW:
        raise NotAllowed(_("审核人员不能审核本人所在单位的申报。"), code="conflict_of_interest")
    if is_review_step and STAGE_ROLE.get(application.status) in kinds:
        other_stages = acted_at.get(application.pk, set()) - {application.status}
        if other_stages:
            raise NotAllowed(
                _("您已在本申报的其他审核环节处理过，同一人不能在两个环节审核同一申报。"),
                code="separation_of_duties",
            )
    if transition.needs_comment and not request.comment.strip():
        raise DomainError(
            _("“%(action)s”须填写理由。") % {"action": label},
            code="comment_required",
            detail={"comment": [_("请填写理由。")]},
        )
    if not transition.needs_amount and request.amount not in (None, ""):
        # An amount given with 审核通过 was dropped without a word; the caller meant something.
        message = _("“%(action)s”不核定金额，请不要填写金额。") % {"action": label}
        raise DomainError(message, code="amount_not_expected", detail={"amount": [message]})
    return transition


def _stages_acted(actor: User | None, application_ids: Sequence[int]) -> dict[int, set[str]]:
    """Review stages at which this actor already decided each case (separation of duties)."""
    if actor is None or not getattr(actor, "pk", None):
        return {}
    acted: dict[int, set[str]] = defaultdict(set)
    rows = Decision.objects.filter(
        application_id__any=list(application_ids), actor=actor, stage__in=REVIEW_STAGES
    ).values_list("application_id", "stage")
    for application_id, stage in rows:
        acted[application_id].add(stage)
    return acted


def _write(contexts: list[EffectContext], actor: User | None, now) -> None:
    """Status, revision, decision rows and audit events for every moved item."""
    grouped: dict[str, list[int]] = defaultdict(list)
    decisions, entries = [], []
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    for ctx in contexts:
        application = ctx.application
        amount_before = ctx.amount_before
        application.status = ctx.target
        application.revision += 1
        application.stage_entered_at = now
        application.updated_at = now
        if ctx.update_fields:
            fields = {"status", "revision", "stage_entered_at", "updated_at", *ctx.update_fields}
            application.save(update_fields=sorted(fields))
        else:  # payments move thousands of cases that change nothing else: one UPDATE each
            grouped[ctx.target].append(application.pk)
        details = dict(ctx.request.details)
        if ctx.request.corrections:
            details["corrections"] = ctx.request.corrections
        decisions.append(
            {
                "application_id": application.pk,
                "kind": ctx.request.action,
                "actor_id": actor_id,
                "stage": ctx.source,
                "target": ctx.target,
                "amount_before": amount_before,
                "amount_after": _decided_amount(application),
                "comment": ctx.request.comment.strip(),
                "details": details,
                "created_at": now,
            }
        )
        entries.append(
            AuditEntry(
                obj=application,
                action=f"application.{ctx.request.action}",
                before={"status": ctx.source, "amount": amount_before},
                after={"status": ctx.target, "amount": _decided_amount(application), **details},
                comment=ctx.request.comment,
            )
        )
    for target, ids in grouped.items():
        Application.objects.filter(pk__any=ids).update(
            status=target, revision=models.F("revision") + 1, stage_entered_at=now, updated_at=now
        )
    copy_insert(Decision, decisions)
    audit_record_many(actor=actor, entries=entries)


def applications_transition_bulk(
    *,
    actor: User | None,
    application_ids: Sequence[int],
    request: TransitionRequest,
    system: bool = False,
) -> list[TransitionResult]:
    """Apply one action to many cases; each item succeeds or fails on its own."""
    ids = list(dict.fromkeys(application_ids))
    if request.action == Action.APPROVE:
        # In their own block, so a refused approval still leaves the flags to resolve.
        effect_handlers.record_duplicate_flags(ids)
    with transaction.atomic():
        locked = lock_applications(ids)
        if request.action in LEDGER_ACTIONS:  # then the award groups, in one global order
            lock_award_groups(applications=locked.values())
        acted_at = _stages_acted(actor, ids)
        results: dict[int, TransitionResult] = {}
        moved: list[EffectContext] = []
        for application_id in ids:
            application = locked.get(application_id)
            if application is None:
                missing = NotFound(_("找不到该申报或无权查看。"))
                results[application_id] = TransitionResult(
                    application_id, "", False, missing.message, error=missing
                )
                continue
            try:
                transition = _check(
                    actor=actor,
                    application=application,
                    request=request,
                    system=system,
                    acted_at=acted_at,
                )
                ctx = EffectContext(
                    application=application,
                    actor=actor,
                    request=request,
                    transition=transition,
                    source=application.status,
                    target=_target(transition, application),
                    approved_before=application.approved_amount,
                    amount_before=_decided_amount(application),
                )
                effect_handlers.run_guards(ctx)
            except DomainError as exc:
                results[application_id] = TransitionResult(
                    application_id, application.reference, False, exc.message, error=exc
                )
                continue
            moved.append(ctx)
        now = timezone.now()
        _write(moved, actor, now)
        effect_handlers.run_after(moved)
        for ctx in moved:
            results[ctx.application.pk] = TransitionResult(
                ctx.application.pk,
                ctx.application.reference,
                True,
                status_label(ctx.target),
                status=ctx.target,
            )
    return [results[i] for i in ids]


def application_transition(
    *,
    actor: User | None,
    application_id: int,
    request: TransitionRequest,
    system: bool = False,
) -> Application:
    """One case through the same engine; a refusal is raised as its DomainError."""
    (result,) = applications_transition_bulk(
        actor=actor, application_ids=[application_id], request=request, system=system
    )
    if not result.ok:
        raise result.error
    return Application.objects.select_related(
        "organisation", "clause", "clause__measure", "round"
    ).get(pk=application_id)


def raise_if_any_refused(results: Sequence[TransitionResult]) -> None:
    """For callers whose own change is all or nothing (a payment batch and its cases)."""
    for result in results:
        if not result.ok:
            message = _("申报 %(ref)s：%(reason)s") % {
                "ref": result.reference or result.application_id,
                "reason": result.message,
            }
            raise DomainError(message, code=getattr(result.error, "code", "invalid_transition"))

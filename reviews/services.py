"""The one service that moves an application's status, and the review actions built on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import Message, notify_many
from accounts.selectors import user_scopes
from applications.models import Application, Status
from applications.summaries import summaries_on_bulk_status_change, summaries_on_status_change
from audit.models import AuditEvent
from audit.services import audit_record
from measures.services import budget_commit, budget_release
from xianyang_portal.errors import Conflict, DomainError, NotAllowed
from xianyang_portal.money import MoneyError, format_yuan, parse_money

from .workflow import (
    ACTION_LABELS,
    APPLICANT,
    FIRST_STAGE,
    NEXT_STAGE,
    PUBLIC,
    RETURN_STAGE,
    REVIEW_STAGES,
    STAGE_ROLE,
    SYSTEM,
    Action,
    Transition,
    transition_for,
)

AMOUNT_ACTIONS = {Action.RECOMMEND, Action.APPROVE, Action.AMEND}


@dataclass
class TransitionRequest:
    action: str
    comment: str = ""
    amount: Any = None
    amount_basis: str = ""
    expected_revision: int | None = None
    corrections: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def actor_kinds(actor: User | None, application: Application, *, system: bool = False) -> set[str]:
    """What the actor is for this application: applicant, a scoped reviewer role, system."""
    if system:
        return {SYSTEM, PUBLIC}
    if actor is None:
        return {PUBLIC}
    scopes = user_scopes(actor)
    kinds: set[str] = set()
    if application.organisation_id in scopes.organisation_ids:
        kinds.add(APPLICANT)
    for role in scopes.roles:
        if role == "county_reviewer" and application.organisation.place_id not in scopes.place_ids:
            continue
        if (
            role == "department_reviewer"
            and application.clause.department_id not in scopes.department_ids
        ):
            continue
        kinds.add(role)
    return kinds


def _stages(application: Application) -> list[str]:
    stages = [s for s in application.clause.measure.review_stages if s in REVIEW_STAGES]
    return [*stages, Status.APPROVAL]


def _target(transition: Transition, application: Application) -> str:
    if transition.target == FIRST_STAGE:
        return _stages(application)[0]
    if transition.target == NEXT_STAGE:
        stages = _stages(application)
        return stages[stages.index(application.status) + 1]
    if transition.target == RETURN_STAGE:
        return application.returned_from or _stages(application)[0]
    return transition.target


def _status_label(value: str) -> str:
    return Status(value).label if value in Status.values else value


def validate_amount(application: Application, raw: Any, basis: str) -> Decimal:
    """The amount a reviewer sets: ≥0, two decimals, within the ceiling, equal to a fixed amount."""
    if raw in (None, ""):
        raise DomainError(
            _("请填写金额。"), code="amount_required", detail={"amount": [_("请填写金额。")]}
        )
    try:
        amount = parse_money(raw)
    except MoneyError as exc:
        raise DomainError(str(exc), code="invalid_amount", detail={"amount": [str(exc)]}) from exc
    computed = application.computed_amount
    kind = application.amount_kind
    if kind == "fixed" and computed is not None and amount != computed:
        message = _("本条款为定额奖励，金额须为 %(amount)s。") % {"amount": format_yuan(computed)}
        raise DomainError(message, code="amount_not_fixed", detail={"amount": [message]})
    if kind == "ceiling" and computed is not None and amount > computed:
        message = _("金额不能超过上限 %(amount)s。") % {"amount": format_yuan(computed)}
        raise DomainError(message, code="amount_above_ceiling", detail={"amount": [message]})
    if kind == "unspecified" and not basis.strip():
        message = _("本条款金额未在政策中明确，须填写金额依据。")
        raise DomainError(message, code="basis_required", detail={"amount_basis": [message]})
    return amount


def _check_separation_of_duties(actor: User, application: Application, stage: str) -> None:
    acted_elsewhere = AuditEvent.objects.filter(
        object_type=application._meta.label_lower,
        object_id=str(application.pk),
        actor=actor,
        before__status__in=[s for s in REVIEW_STAGES if s != stage],
    ).exists()
    if acted_elsewhere:
        raise NotAllowed(
            _("您已在本申报的其他审核环节处理过，同一人不能在两个环节审核同一申报。"),
            code="separation_of_duties",
        )


def application_transition(
    *,
    actor: User | None,
    application_id: int,
    request: TransitionRequest,
    system: bool = False,
) -> Application:
    """Lock, check the table and the actor, apply effects, audit, notify on commit."""
    if request.action == Action.APPROVE:
        # Recorded in its own block, so a refused approval still leaves the flags to resolve.
        _record_flags_before_approval(application_id)
    return _transition(actor=actor, application_id=application_id, request=request, system=system)


@transaction.atomic
def _record_flags_before_approval(application_id: int) -> None:
    from applications.duplicates import find_duplicates, record_flags

    application = Application.objects.select_related("clause").get(pk=application_id)
    if application.status == Status.APPROVAL:
        record_flags(application, find_duplicates(application))


@transaction.atomic
def _transition(
    *,
    actor: User | None,
    application_id: int,
    request: TransitionRequest,
    system: bool,
) -> Application:
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation", "clause", "clause__measure", "round")
        .get(pk=application_id)
    )
    label = str(ACTION_LABELS.get(request.action, request.action))
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
        raise DomainError(
            _("当前状态“%(status)s”下不能执行“%(action)s”。")
            % {"status": application.get_status_display(), "action": label},
            code="invalid_transition",
        )
    if not kinds & transition.actors:
        raise NotAllowed(
            _("您无权对该申报执行“%(action)s”。") % {"action": label}, code="not_allowed"
        )
    is_review_step = application.status in REVIEW_STAGES and actor is not None and not system
    if is_review_step and APPLICANT in kinds and request.action not in (Action.WITHDRAW,):
        raise NotAllowed(_("审核人员不能审核本人所在单位的申报。"), code="conflict_of_interest")
    if is_review_step and STAGE_ROLE.get(application.status) in kinds:
        _check_separation_of_duties(actor, application, application.status)
    if transition.needs_comment and not request.comment.strip():
        raise DomainError(
            _("“%(action)s”须填写理由。") % {"action": label},
            code="comment_required",
            detail={"comment": [_("请填写理由。")]},
        )

    if request.action == Action.APPROVE:
        _recheck_before_approval(application)

    before = {
        "status": application.status,
        "recommended_amount": application.recommended_amount,
        "approved_amount": application.approved_amount,
    }
    source = application.status
    target = _target(transition, application)
    update_fields = {"status", "revision", "stage_entered_at", "updated_at"}
    if request.action in AMOUNT_ACTIONS:
        amount = validate_amount(application, request.amount, request.amount_basis)
        if request.amount_basis:
            application.amount_basis = request.amount_basis
            update_fields.add("amount_basis")
        if request.action == Action.RECOMMEND:
            application.recommended_amount = amount
            update_fields.add("recommended_amount")
        else:
            old = application.approved_amount or Decimal("0.00")
            _commit_budget(application, amount - old if request.action == Action.AMEND else amount)
            application.approved_amount = amount
            update_fields.add("approved_amount")
    if request.action == Action.RETURN:
        application.returned_from = source
        application.correction_requests = {
            k: v for k, v in request.corrections.items() if v.strip()
        }
        update_fields |= {"returned_from", "correction_requests"}
    if request.action == Action.RESUBMIT:
        application.correction_requests = {}
        update_fields.add("correction_requests")
    if request.action in (Action.UPHOLD_OBJECTION,) or (
        request.action == Action.REJECT and source == Status.PENDING_NOTICE
    ):
        budget_release(
            round_id=application.round_id,
            measure_id=application.clause.measure_id,
            amount=application.approved_amount or Decimal("0.00"),
        )
    application.status = target
    application.revision += 1
    application.stage_entered_at = timezone.now()
    application.save(update_fields=sorted(update_fields))
    summaries_on_status_change(
        application=application,
        source=source,
        target=target,
        amount_before=before["approved_amount"],
    )
    audit_record(
        actor=actor,
        obj=application,
        action=f"application.{request.action}",
        before=before,
        after={
            "status": target,
            "recommended_amount": application.recommended_amount,
            "approved_amount": application.approved_amount,
            **({"corrections": request.corrections} if request.corrections else {}),
            **request.details,
        },
        comment=request.comment,
    )
    _after_commit(application, request.action, source, target)
    return application


def _recheck_before_approval(application: Application) -> None:
    """Run the duplicate checks and the rule again against today's earlier awards."""
    from accounts.models import Organisation
    from applications.duplicates import (
        find_duplicates,
        refuse_hard_duplicates,
        refuse_if_not_eligible,
    )
    from applications.selectors import prior_awards_for
    from measures.services import clause_evaluate

    # Serialise approvals of one organisation, so cumulative caps hold under concurrency.
    Organisation.objects.select_for_update().get(pk=application.organisation_id)
    _facts, result = clause_evaluate(
        version=application.rule_version,
        raw_facts=application.facts,
        applicant_type=application.organisation.kind,
        prior_awards=prior_awards_for(
            organisation=application.organisation, exclude_application_id=application.pk
        ),
    )
    application.evaluation = result.to_dict()
    application.computed_amount = result.amount
    application.amount_kind = result.amount_kind
    application.save(update_fields=["evaluation", "computed_amount", "amount_kind"])
    refuse_if_not_eligible(application)
    refuse_hard_duplicates(find_duplicates(application))
    open_flags = application.duplicate_flags.filter(resolved_at__isnull=True)
    if open_flags.exists():
        raise DomainError(
            _("存在未处理的重复支持疑点（%(n)d 项），请先在案卷中逐项核实并填写处理意见。")
            % {"n": open_flags.count()},
            code="unresolved_flags",
        )


@transaction.atomic
def flag_resolve(*, actor: User, flag_id: int, resolution: str) -> None:
    from applications.models import DuplicateFlag

    flag = (
        DuplicateFlag.objects.select_for_update()
        .select_related("application", "application__organisation", "application__clause")
        .get(pk=flag_id)
    )
    kinds = actor_kinds(actor, flag.application)
    if not kinds & set(STAGE_ROLE.values()):
        raise NotAllowed(_("您无权处理该疑点。"))
    if not resolution.strip():
        raise DomainError(
            _("请填写核实意见。"),
            code="comment_required",
            detail={"resolution": [_("请填写核实意见。")]},
        )
    if flag.resolved_at is None:
        flag.resolved_by = actor
        flag.resolution = resolution.strip()
        flag.resolved_at = timezone.now()
        flag.save(update_fields=["resolved_by", "resolution", "resolved_at"])
        audit_record(
            actor=actor,
            obj=flag.application,
            action="application.flag_resolved",
            after={"flag": flag.kind},
            comment=resolution.strip(),
        )


def _commit_budget(application: Application, delta: Decimal) -> None:
    if delta > 0:
        budget_commit(
            round_id=application.round_id, measure_id=application.clause.measure_id, amount=delta
        )
    elif delta < 0:
        budget_release(
            round_id=application.round_id, measure_id=application.clause.measure_id, amount=-delta
        )


def _status_message(application: Application, source: str, target: str) -> Message:
    return Message(
        users=list(application.organisation.members.all()),
        subject=_("申报 %(ref)s 状态更新：%(status)s")
        % {"ref": application.reference, "status": _status_label(target)},
        body=_("您单位申报的“%(clause)s”已由“%(source)s”变为“%(target)s”。")
        % {
            "clause": application.clause.title,
            "source": _status_label(source),
            "target": _status_label(target),
        },
        link=reverse("applications:detail", args=[application.reference]),
    )


def _after_commit(application: Application, action: str, source: str, target: str) -> None:
    notify_many([_status_message(application, source, target)])
    if action == Action.AMEND:
        # An amended amount supersedes the letter (a notice's end queues letters in one batch).
        from .letters.tasks import queue_letters

        queue_letters([application.pk])


@dataclass
class BulkResult:
    reference: str
    ok: bool
    message: str


def bulk_transition(
    *, actor: User, references: list[str], action: str, comment: str, visible
) -> list[BulkResult]:
    """Apply one action to many cases; each succeeds or fails on its own."""
    results: list[BulkResult] = []
    cases = {a.reference: a for a in visible.filter(reference__in=references)}
    for reference in references:
        application = cases.get(reference)
        if application is None:
            results.append(BulkResult(reference, False, _("找不到该申报或无权查看。")))
            continue
        amount = (
            application.recommended_amount
            if action == Action.APPROVE
            else application.computed_amount
        )
        try:
            moved = application_transition(
                actor=actor,
                application_id=application.pk,
                request=TransitionRequest(action=action, comment=comment, amount=amount),
            )
        except DomainError as exc:
            results.append(BulkResult(reference, False, exc.message))
        else:
            results.append(BulkResult(reference, True, moved.get_status_display()))
    return results


@transaction.atomic
def applications_bulk_move(
    *,
    actor: User | None,
    application_ids: list[int],
    action: str,
    comment: str = "",
    system: bool = False,
    notify_applicants: bool = True,
) -> list[int]:
    """Move many applications by one table action at once (payments: thousands of lines).

    All or nothing: if any application may not take the action, nothing moves. Same table,
    same actor rules and the same audit trail as `application_transition`, in bulk writes.
    """
    from audit.models import AuditEvent

    applications = list(
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation", "clause")
        .prefetch_related("organisation__members")
        .filter(pk__in=application_ids)
        .order_by("pk")
    )
    if len(applications) != len(set(application_ids)):
        raise DomainError(_("部分申报不存在。"), code="unknown_application")
    label = str(ACTION_LABELS.get(action, action))
    now = timezone.now()
    events = []
    by_target: dict[str, list[int]] = {}
    for application in applications:
        transition = transition_for(application.status, action)
        if transition is None:
            raise DomainError(
                _("申报 %(ref)s 当前状态“%(status)s”下不能执行“%(action)s”。")
                % {
                    "ref": application.reference,
                    "status": application.get_status_display(),
                    "action": label,
                },
                code="invalid_transition",
            )
        if not actor_kinds(actor, application, system=system) & transition.actors:
            raise NotAllowed(_("您无权对该申报执行“%(action)s”。") % {"action": label})
        if transition.needs_comment and not comment.strip():
            raise DomainError(
                _("“%(action)s”须填写理由。") % {"action": label}, code="comment_required"
            )
        by_target.setdefault(transition.target, []).append(application.pk)
        events.append(
            AuditEvent(
                actor=actor if getattr(actor, "pk", None) else None,
                object_type=application._meta.label_lower,
                object_id=str(application.pk),
                object_repr=str(application)[:200],
                action=f"application.{action}",
                before={"status": application.status},
                after={"status": transition.target},
                comment=comment,
            )
        )
    for target, ids in by_target.items():
        Application.objects.filter(pk__in=ids).update(
            status=target, revision=models.F("revision") + 1, stage_entered_at=now, updated_at=now
        )
    summaries_on_bulk_status_change(
        moves=[(a, a.status, transition_for(a.status, action).target) for a in applications]
    )
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    if notify_applicants:
        notify_many(
            _status_message(a, a.status, transition_for(a.status, action).target)
            for a in applications
        )
    return [a.pk for a in applications]

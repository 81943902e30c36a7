"""The transition table: source → action → target, who may act, and the effects it names.

The engine (`engine.py`) runs the named effects (`effects.py`); there is no if-chain on the
action name anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

from .statuses import REVIEW_STAGES, Status

APPLICANT = "applicant"  # a member of the applying organisation
SYSTEM = "system"  # Celery beat, payment reconciliation, management commands
PUBLIC = "public"  # the public objection form

STAGE_ROLE = {
    Status.COUNTY_REVIEW: Role.COUNTY_REVIEWER,
    Status.DEPARTMENT_REVIEW: Role.DEPARTMENT_REVIEWER,
    Status.APPROVAL: Role.APPROVER,
}
# Targets resolved per measure (its review_stages, then approval).
FIRST_STAGE = "first_stage"
NEXT_STAGE = "next_stage"
RETURN_STAGE = "return_stage"


class Action(models.TextChoices):
    SUBMIT = "submit", _("提交申报")
    RESUBMIT = "resubmit", _("补正后重新提交")
    WITHDRAW = "withdraw", _("撤回")
    PASS = "pass", _("审核通过")
    RECOMMEND = "recommend", _("复审通过并建议金额")
    APPROVE = "approve", _("审定通过")
    RETURN = "return", _("退回补正")
    REJECT = "reject", _("不予支持")
    START_NOTICE = "start_notice", _("开始公示")
    OBJECT = "object", _("公示异议")
    DISMISS_OBJECTION = "dismiss_objection", _("异议不成立")
    UPHOLD_OBJECTION = "uphold_objection", _("异议成立")
    FINISH_NOTICE = "finish_notice", _("公示期满")
    AMEND = "amend", _("更正核定金额")
    ADD_TO_BATCH = "add_to_batch", _("纳入拨付批次")
    REMOVE_FROM_BATCH = "remove_from_batch", _("移出拨付批次")
    MARK_PAID = "mark_paid", _("已拨付")
    MARK_FAILED = "mark_failed", _("拨付失败")


class Effect:
    """Names of effects; handlers live in effects.py or are registered by higher apps."""

    RECHECK_ELIGIBILITY = "recheck_eligibility"  # rule, duplicates and flags before approval
    RECOMMEND_AMOUNT = "recommend_amount"  # validate and store the recommended amount
    APPROVE_AMOUNT = "approve_amount"  # validate and store the approved amount
    BUDGET_COMMIT = "budget_commit"  # commit (or release) the change in approved amount
    BUDGET_RELEASE = "budget_release"  # give the approved amount back to the round's budget
    RECORD_CORRECTIONS = "record_corrections"  # which stage returned it and what to correct
    CLEAR_CORRECTIONS = "clear_corrections"
    NOTICE_ENTER = "notice_enter"  # put the case on its notice (registered by reviews)
    NOTIFY_APPLICANT = "notify_applicant"
    QUEUE_LETTER = "queue_letter"  # make or supersede the approval letter (registered by reviews)


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    actors: frozenset[str]
    needs_comment: bool = False
    effects: tuple[str, ...] = ()

    @property
    def needs_amount(self) -> bool:
        return bool({Effect.RECOMMEND_AMOUNT, Effect.APPROVE_AMOUNT} & set(self.effects))


E = Effect
NOTIFY = (E.NOTIFY_APPLICANT,)
WITHDRAWABLE = (Status.COUNTY_REVIEW, Status.DEPARTMENT_REVIEW, Status.APPROVAL, Status.RETURNED)


def _t(source, action, target, *actors, needs_comment=False, effects=NOTIFY) -> Transition:
    return Transition(source, action, target, frozenset(actors), needs_comment, tuple(effects))


TRANSITIONS: tuple[Transition, ...] = (
    _t(Status.DRAFT, Action.SUBMIT, FIRST_STAGE, APPLICANT),
    _t(
        Status.RETURNED,
        Action.RESUBMIT,
        RETURN_STAGE,
        APPLICANT,
        effects=(E.CLEAR_CORRECTIONS, *NOTIFY),
    ),
    *(_t(s, Action.WITHDRAW, Status.WITHDRAWN, APPLICANT) for s in WITHDRAWABLE),
    _t(Status.COUNTY_REVIEW, Action.PASS, NEXT_STAGE, Role.COUNTY_REVIEWER),
    _t(
        Status.DEPARTMENT_REVIEW,
        Action.RECOMMEND,
        NEXT_STAGE,
        Role.DEPARTMENT_REVIEWER,
        effects=(E.RECOMMEND_AMOUNT, *NOTIFY),
    ),
    _t(
        Status.APPROVAL,
        Action.APPROVE,
        Status.PENDING_NOTICE,
        Role.APPROVER,
        effects=(E.RECHECK_ELIGIBILITY, E.APPROVE_AMOUNT, E.BUDGET_COMMIT, *NOTIFY),
    ),
    *(
        _t(
            stage,
            Action.RETURN,
            Status.RETURNED,
            STAGE_ROLE[stage],
            needs_comment=True,
            effects=(E.RECORD_CORRECTIONS, *NOTIFY),
        )
        for stage in REVIEW_STAGES
    ),
    *(
        _t(stage, Action.REJECT, Status.REJECTED, STAGE_ROLE[stage], needs_comment=True)
        for stage in REVIEW_STAGES
    ),
    _t(
        Status.PENDING_NOTICE,
        Action.START_NOTICE,
        Status.PUBLIC_NOTICE,
        Role.APPROVER,
        effects=(E.NOTICE_ENTER, *NOTIFY),
    ),
    _t(
        Status.PENDING_NOTICE,
        Action.REJECT,
        Status.REJECTED,
        Role.APPROVER,
        needs_comment=True,
        effects=(E.BUDGET_RELEASE, *NOTIFY),
    ),
    _t(Status.PUBLIC_NOTICE, Action.OBJECT, Status.OBJECTION, PUBLIC),
    _t(
        Status.PUBLIC_NOTICE,
        Action.FINISH_NOTICE,
        Status.APPROVED,
        SYSTEM,
        effects=(*NOTIFY, E.QUEUE_LETTER),
    ),
    _t(
        Status.OBJECTION,
        Action.DISMISS_OBJECTION,
        Status.PUBLIC_NOTICE,
        Role.APPROVER,
        needs_comment=True,
    ),
    _t(
        Status.OBJECTION,
        Action.UPHOLD_OBJECTION,
        Status.REJECTED,
        Role.APPROVER,
        needs_comment=True,
        effects=(E.BUDGET_RELEASE, *NOTIFY),
    ),
    _t(
        Status.APPROVED,
        Action.AMEND,
        Status.APPROVED,
        Role.APPROVER,
        needs_comment=True,
        effects=(E.APPROVE_AMOUNT, E.BUDGET_COMMIT, *NOTIFY, E.QUEUE_LETTER),
    ),
    # Finance moves thousands of cases at once; the batch tells the applicant, not each move.
    _t(Status.APPROVED, Action.ADD_TO_BATCH, Status.IN_PAYMENT, Role.FINANCE, effects=()),
    _t(Status.PAYMENT_FAILED, Action.ADD_TO_BATCH, Status.IN_PAYMENT, Role.FINANCE, effects=()),
    _t(
        Status.IN_PAYMENT,
        Action.REMOVE_FROM_BATCH,
        Status.APPROVED,
        Role.FINANCE,
        needs_comment=True,
        effects=(),
    ),
    _t(Status.IN_PAYMENT, Action.MARK_PAID, Status.PAID, Role.FINANCE),
    _t(
        Status.IN_PAYMENT,
        Action.MARK_FAILED,
        Status.PAYMENT_FAILED,
        Role.FINANCE,
        needs_comment=True,
    ),
)

_BY_KEY = {(t.source, t.action): t for t in TRANSITIONS}


def transition_for(source: str, action: str) -> Transition | None:
    return _BY_KEY.get((source, action))


def actions_from(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source]

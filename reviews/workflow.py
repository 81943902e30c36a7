"""The application workflow as data: one table of (source, action) → target and who may act.

`reviews.services.application_transition` is the only code that moves a status; everything
else (submit, review actions, public notice, payments) calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from applications.models import Status

APPLICANT = "applicant"  # a member of the applying organisation
SYSTEM = "system"  # Celery beat, the public objection form, payment reconciliation
PUBLIC = "public"

# Stages that are review levels (separation of duties applies across them).
REVIEW_STAGES = (Status.COUNTY_REVIEW, Status.DEPARTMENT_REVIEW, Status.APPROVAL)
STAGE_ROLE = {
    Status.COUNTY_REVIEW: Role.COUNTY_REVIEWER,
    Status.DEPARTMENT_REVIEW: Role.DEPARTMENT_REVIEWER,
    Status.APPROVAL: Role.APPROVER,
}
# A target of NEXT_STAGE is resolved per measure (its review_stages, then approval).
NEXT_STAGE = "next_stage"
FIRST_STAGE = "first_stage"
RETURN_STAGE = "return_stage"


class Action:
    SUBMIT = "submit"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    PASS = "pass"  # noqa: S105 - a review action, not a password
    RECOMMEND = "recommend"
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    START_NOTICE = "start_notice"
    OBJECT = "object"
    DISMISS_OBJECTION = "dismiss_objection"
    UPHOLD_OBJECTION = "uphold_objection"
    FINISH_NOTICE = "finish_notice"
    AMEND = "amend"
    ADD_TO_BATCH = "add_to_batch"
    REMOVE_FROM_BATCH = "remove_from_batch"
    MARK_PAID = "mark_paid"
    MARK_FAILED = "mark_failed"


ACTION_LABELS = {
    Action.SUBMIT: _("提交申报"),
    Action.RESUBMIT: _("补正后重新提交"),
    Action.WITHDRAW: _("撤回"),
    Action.PASS: _("审核通过"),
    Action.RECOMMEND: _("复审通过并建议金额"),
    Action.APPROVE: _("审定通过"),
    Action.RETURN: _("退回补正"),
    Action.REJECT: _("不予支持"),
    Action.START_NOTICE: _("开始公示"),
    Action.OBJECT: _("公示异议"),
    Action.DISMISS_OBJECTION: _("异议不成立"),
    Action.UPHOLD_OBJECTION: _("异议成立"),
    Action.FINISH_NOTICE: _("公示期满"),
    Action.AMEND: _("更正核定金额"),
    Action.ADD_TO_BATCH: _("纳入拨付批次"),
    Action.REMOVE_FROM_BATCH: _("移出拨付批次"),
    Action.MARK_PAID: _("已拨付"),
    Action.MARK_FAILED: _("拨付失败"),
}


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    actors: frozenset[str]
    needs_comment: bool = False


def _t(source, action, target, *actors, needs_comment=False) -> Transition:
    return Transition(source, action, target, frozenset(actors), needs_comment)


REVIEWERS = (Role.COUNTY_REVIEWER, Role.DEPARTMENT_REVIEWER, Role.APPROVER)
WITHDRAWABLE = (Status.COUNTY_REVIEW, Status.DEPARTMENT_REVIEW, Status.APPROVAL, Status.RETURNED)

TRANSITIONS: tuple[Transition, ...] = (
    _t(Status.DRAFT, Action.SUBMIT, FIRST_STAGE, APPLICANT),
    _t(Status.RETURNED, Action.RESUBMIT, RETURN_STAGE, APPLICANT),
    *(_t(s, Action.WITHDRAW, Status.WITHDRAWN, APPLICANT) for s in WITHDRAWABLE),
    _t(Status.COUNTY_REVIEW, Action.PASS, NEXT_STAGE, Role.COUNTY_REVIEWER),
    _t(Status.DEPARTMENT_REVIEW, Action.RECOMMEND, NEXT_STAGE, Role.DEPARTMENT_REVIEWER),
    _t(Status.APPROVAL, Action.APPROVE, Status.PENDING_NOTICE, Role.APPROVER),
    *(
        _t(stage, Action.RETURN, Status.RETURNED, STAGE_ROLE[stage], needs_comment=True)
        for stage in REVIEW_STAGES
    ),
    *(
        _t(stage, Action.REJECT, Status.REJECTED, STAGE_ROLE[stage], needs_comment=True)
        for stage in REVIEW_STAGES
    ),
    _t(Status.PENDING_NOTICE, Action.START_NOTICE, Status.PUBLIC_NOTICE, Role.APPROVER),
    _t(Status.PENDING_NOTICE, Action.REJECT, Status.REJECTED, Role.APPROVER, needs_comment=True),
    _t(Status.PUBLIC_NOTICE, Action.OBJECT, Status.OBJECTION, PUBLIC),
    _t(Status.PUBLIC_NOTICE, Action.FINISH_NOTICE, Status.APPROVED, SYSTEM),
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
    ),
    _t(Status.APPROVED, Action.AMEND, Status.APPROVED, Role.APPROVER, needs_comment=True),
    _t(Status.APPROVED, Action.ADD_TO_BATCH, Status.IN_PAYMENT, Role.FINANCE),
    _t(Status.PAYMENT_FAILED, Action.ADD_TO_BATCH, Status.IN_PAYMENT, Role.FINANCE),
    _t(
        Status.IN_PAYMENT,
        Action.REMOVE_FROM_BATCH,
        Status.APPROVED,
        Role.FINANCE,
        needs_comment=True,
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

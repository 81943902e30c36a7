"""Each status and its meaning, declared once; nobody re-lists states elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    COUNTY_REVIEW = "county_review", _("县区初审")
    DEPARTMENT_REVIEW = "department_review", _("市级复审")
    APPROVAL = "approval", _("审定")
    PENDING_NOTICE = "pending_notice", _("拟支持，待公示")
    PUBLIC_NOTICE = "public_notice", _("公示")
    OBJECTION = "objection", _("公示异议")
    APPROVED = "approved", _("已批准")
    IN_PAYMENT = "in_payment", _("已纳入拨付批次")
    PAID = "paid", _("已拨付")
    PAYMENT_FAILED = "payment_failed", _("拨付失败")
    RETURNED = "returned", _("退回补正")
    REJECTED = "rejected", _("不予支持")
    WITHDRAWN = "withdrawn", _("已撤回")


_LABELS: dict[str | None, dict[str, str]] = {}


def status_label(value: str) -> str:
    """A status's label in the active language, from a dict built once per language
    (Django's get_status_display hashes every lazy choice label on each call: a queue page's
    rows spent ~0.3 ms each in it)."""
    language = get_language()
    labels = _LABELS.get(language)
    if labels is None:
        labels = _LABELS[language] = {v: str(label) for v, label in Status.choices}
    return labels.get(value, value)


@dataclass(frozen=True)
class StatusMeaning:
    editable: bool  # the applicant may edit facts and materials
    live: bool  # counts for hard duplicates (one live case per organisation, clause and basis)
    counts_toward_limits: bool  # holds a reservation against caps, 每户 and first-time rules
    awarded: bool  # the money was granted (letters, payments, award statistics)
    payable: bool  # may go into a payment batch
    review_stage: bool  # a review level: separation of duties applies across these
    next_step: Promise  # what the applicant has to do or wait for
    badge: str  # Bootstrap colour of the status badge


_M = StatusMeaning
MEANING: dict[str, StatusMeaning] = {
    Status.DRAFT: _M(
        True, False, False, False, False, False, _("完善申报信息、上传材料并提交"), "secondary"
    ),
    Status.COUNTY_REVIEW: _M(False, True, True, False, False, True, _("等待县区初审"), "primary"),
    Status.DEPARTMENT_REVIEW: _M(
        False, True, True, False, False, True, _("等待市级复审"), "primary"
    ),
    Status.APPROVAL: _M(False, True, True, False, False, True, _("等待审定"), "primary"),
    Status.PENDING_NOTICE: _M(
        False, True, True, False, False, False, _("拟支持，等待公示"), "info"
    ),
    Status.PUBLIC_NOTICE: _M(False, True, True, False, False, False, _("公示中"), "info"),
    Status.OBJECTION: _M(False, True, True, False, False, False, _("公示异议核查中"), "warning"),
    Status.APPROVED: _M(
        False, True, True, True, True, False, _("已批准，下载核定通知书，等待拨付"), "success"
    ),
    Status.IN_PAYMENT: _M(False, True, True, True, False, False, _("资金拨付中"), "info"),
    Status.PAID: _M(False, True, True, True, False, False, _("资金已拨付"), "success"),
    Status.PAYMENT_FAILED: _M(
        False, True, True, True, True, False, _("拨付失败，请核对单位银行账户信息"), "danger"
    ),
    Status.RETURNED: _M(
        True, True, True, False, False, False, _("按补正要求修改后重新提交"), "warning"
    ),
    Status.REJECTED: _M(False, False, False, False, False, False, _("不予支持"), "secondary"),
    Status.WITHDRAWN: _M(False, False, False, False, False, False, _("已撤回"), "secondary"),
}


def statuses_where(attribute: str) -> tuple[str, ...]:
    return tuple(s for s in Status.values if getattr(MEANING[s], attribute))


EDITABLE_STATUSES = statuses_where("editable")
LIVE_STATUSES = statuses_where("live")
LIMIT_STATUSES = statuses_where("counts_toward_limits")
AWARDED_STATUSES = statuses_where("awarded")
PAYABLE_STATUSES = statuses_where("payable")
REVIEW_STAGES = statuses_where("review_stage")

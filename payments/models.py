"""Payment batches (资金拨付批次) and their lines: what finance pays, frozen at build time."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from core.crypto import mask_account
from core.fields import EncryptedCharField

MONEY = {"max_digits": 14, "decimal_places": 2}


class BatchState(models.TextChoices):
    BUILDING = "building", _("生成中")
    DRAFT = "draft", _("待锁定")
    LOCKED = "locked", _("已锁定")


class LineState(models.TextChoices):
    PENDING = "pending", _("待拨付")
    REMOVED = "removed", _("已移出")
    PAID = "paid", _("已拨付")
    FAILED = "failed", _("拨付失败")


# A live line holds its application: no other pending or paid line may exist for it.
LIVE_LINE_STATES = (LineState.PENDING, LineState.PAID)
# Lines that belong to the payment list (removed ones stay for the record only).
LISTED_LINE_STATES = (LineState.PENDING, LineState.PAID, LineState.FAILED)


class PaymentBatch(models.Model):
    State = BatchState

    reference = models.CharField(_("批次编号"), max_length=24, unique=True)
    state = models.CharField(
        _("状态"),
        max_length=10,
        choices=BatchState.choices,
        default=BatchState.BUILDING,
        db_index=True,
    )
    # The build filters as chosen (ids and an ISO date), kept to show and to resume a build.
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    build_message = models.CharField(_("生成说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("锁定人"),
    )
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    # Cached from the lines by the services that change them (list pages read these).
    line_count = models.PositiveIntegerField(_("明细数"), default=0)
    total_amount = models.DecimalField(_("合计金额"), default=Decimal("0.00"), **MONEY)

    class Meta:
        verbose_name = _("拨付批次")
        verbose_name_plural = _("拨付批次")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=BatchState.LOCKED)
                | (Q(locked_at__isnull=False) & Q(line_count__gt=0)),
                name="payment_batch_locked_has_lines",
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="payment_batch_total_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


def _officer() -> models.ForeignKey:
    """The officer who confirmed or recorded something on a line (no index: see below)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )


class PaymentLine(models.Model):
    """One payee and amount in a batch. Payee data is a snapshot taken when the batch was built."""

    State = LineState

    # Indexes: the batch through (batch, state) and (batch, number), the state by a plain
    # index (no pattern index), the officers not at all (nothing looks lines up by them):
    # each index is a write on every line of a 10,000-line build or bank-result import.
    batch = models.ForeignKey(
        PaymentBatch, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="payment_lines"
    )
    number = models.PositiveIntegerField(_("序号"))
    # Unique by a constraint in Meta (no unused pattern index, as for applications).
    reference = models.CharField(_("明细编号"), max_length=32)
    state = models.CharField(
        _("状态"),
        max_length=10,
        choices=LineState.choices,
        default=LineState.PENDING,
    )
    amount = models.DecimalField(_("金额"), **MONEY)
    # Snapshot: what the treasury and the bank are told, whatever changes later.
    payee_name = models.CharField(_("收款户名"), max_length=120)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    bank_name = models.CharField(_("开户银行"), max_length=120)
    bank_account = EncryptedCharField(_("银行账号"), max_length=40)
    letter_number = models.CharField(_("核定通知书文号"), max_length=40)
    application_reference = models.CharField(_("申报编号"), max_length=24)
    measure_number = models.PositiveSmallIntegerField(_("措施序号"))
    measure_title = models.CharField(_("措施"), max_length=100)
    department_name = models.CharField(_("责任部门"), max_length=40)
    county_name = models.CharField(_("县市区/园区"), max_length=40)
    round_name = models.CharField(_("申报批次"), max_length=100)
    # The payee's bank account changed after the award was approved: confirm before locking.
    bank_changed = models.BooleanField(_("收款账户在批准后变更"), default=False)
    bank_confirmed_by = _officer()
    bank_confirmed_at = models.DateTimeField(_("账户变更确认时间"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    state_changed_by = _officer()
    state_changed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("拨付明细")
        verbose_name_plural = _("拨付明细")
        ordering = ["batch", "number"]
        constraints = [
            # Never twice: at most one pending or paid line per application, in any batch.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state__in=LIVE_LINE_STATES),
                name="payment_line_one_live_per_application",
                violation_error_message=_("该申报已在其他拨付批次中（待拨付或已拨付）。"),
            ),
            models.UniqueConstraint(fields=["batch", "number"], name="payment_line_number_unique"),
            models.UniqueConstraint(fields=["reference"], name="payment_line_reference_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_line_amount_positive"),
            models.CheckConstraint(
                condition=~Q(state__in=[LineState.REMOVED, LineState.FAILED]) | ~Q(reason=""),
                name="payment_line_removed_failed_need_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "state"]),
            models.Index(fields=["state"], name="payment_line_state"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def bank_account_masked(self) -> str:
        return mask_account(self.bank_account)

    @property
    def needs_bank_confirmation(self) -> bool:
        return self.bank_changed and self.bank_confirmed_at is None

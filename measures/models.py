from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department

from .rules.types import ClauseRule

MONEY = {"max_digits": 14, "decimal_places": 2}


class Policy(models.Model):
    """One policy document (a year's version). A 2026 policy is another row beside 2025."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    document_number = models.CharField(_("文号"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    issuer = models.CharField(_("发文机关"), max_length=60)
    issued_on = models.DateField(_("印发日期"))
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    general_rules = models.JSONField(_("通用规则"), default=list, blank=True)
    source_sha256 = models.CharField(_("目录文件摘要"), max_length=64, blank=True)
    loaded_at = models.DateTimeField(_("导入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("政策文件")
        verbose_name_plural = _("政策文件")
        ordering = ["-issued_on"]

    def __str__(self) -> str:
        return f"{self.document_number} {self.title}"

    @property
    def validity(self):
        return (self.valid_from, self.valid_to)


class Section(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("标题"), max_length=60)

    class Meta:
        verbose_name = _("章节")
        verbose_name_plural = _("章节")
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="section_unique_number")
        ]

    def __str__(self) -> str:
        return self.title


DEFAULT_REVIEW_STAGES = ["county_review", "department_review"]


def default_review_stages() -> list[str]:
    return list(DEFAULT_REVIEW_STAGES)


class Measure(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="measures")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="measures")
    number = models.PositiveSmallIntegerField(_("条"))
    title = models.CharField(_("标题"), max_length=60)
    text = models.TextField(_("原文"))
    departments = models.ManyToManyField(
        Department, related_name="measures", verbose_name=_("责任部门")
    )
    other_responsible = models.JSONField(_("其他责任单位"), default=list, blank=True)
    monetary = models.BooleanField(_("资金奖励类"), default=True)
    offer = models.TextField(_("非资金支持内容"), blank=True)
    # Review stages before approval, in order; e.g. park clauses skip the county stage.
    review_stages = models.JSONField(_("审核环节"), default=default_review_stages, blank=True)

    class Meta:
        verbose_name = _("措施")
        verbose_name_plural = _("措施")
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="measure_unique_number"),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=99), name="measure_number_range"
            ),
        ]

    def __str__(self) -> str:
        return f"第{self.number}条 {self.title}"


class Clause(models.Model):
    """A reward line of a measure; its rule lives in immutable ClauseVersion rows."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="clauses")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="clauses")
    code = models.CharField(_("条款代码"), max_length=60)
    title = models.CharField(_("条款"), max_length=200)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="clauses", verbose_name=_("审核部门")
    )
    current_version = models.ForeignKey(
        "ClauseVersion",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("当前规则版本"),
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("条款")
        verbose_name_plural = _("条款")
        ordering = ["measure__number", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "code"], name="clause_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def rule(self) -> ClauseRule:
        return self.current_version.rule


class ClauseVersion(models.Model):
    """A frozen rule. Evaluations point here, so later edits never rewrite decisions."""

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    rule_data = models.JSONField(_("规则"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_note = models.CharField(_("修改说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("规则版本")
        verbose_name_plural = _("规则版本")
        ordering = ["clause", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["clause", "number"], name="clause_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.clause.code} v{self.number}"

    @cached_property
    def rule(self) -> ClauseRule:
        return ClauseRule.from_dict(self.rule_data)

    def is_used(self) -> bool:
        """True once any record (an application's evaluation) refers to this version."""
        return any(
            relation.related_model._default_manager.filter(**{relation.field.name: self}).exists()
            for relation in self._meta.related_objects
            if relation.field.model is not Clause
        )


class Round(models.Model):
    """申报批次: a window in which some clauses take applications, with budgets per measure."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="rounds")
    name = models.CharField(_("批次名称"), max_length=100)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    clauses = models.ManyToManyField(Clause, related_name="rounds", verbose_name=_("受理条款"))
    notice_working_days = models.PositiveSmallIntegerField(
        _("公示工作日数"),
        default=5,
        validators=[MaxValueValidator(30)],
        help_text=_("本批次申报的公示期（工作日）。0 仅用于演示：公示在下一次定时任务时结束。"),
    )

    class Meta:
        verbose_name = _("申报批次")
        verbose_name_plural = _("申报批次")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="round_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at


class RoundBudget(models.Model):
    """A round's budget for one measure; approvals commit against it under a row lock."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="budgets")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="budgets")
    amount = models.DecimalField(_("预算"), **MONEY)
    committed = models.DecimalField(_("已核定"), default=Decimal("0.00"), **MONEY)

    class Meta:
        verbose_name = _("批次预算")
        verbose_name_plural = _("批次预算")
        ordering = ["round", "measure__number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "measure"], name="budget_unique_measure"),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="budget_amount_non_negative",
                violation_error_message=_("预算不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(committed__gte=0) & Q(committed__lte=F("amount")),
                name="budget_committed_within_amount",
                violation_error_message=_("预算不能低于已核定金额。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.measure}"

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.committed


class HolidaySchedule(models.Model):
    """One year's official schedule (国务院办公厅 holiday notice), entered when the library lags.

    A year entered here wins over chinese-calendar's data for that year: it is only entered
    because the library does not know the year yet, or a newer notice changed it.
    """

    year = models.PositiveIntegerField(_("年度"), unique=True)
    notice = models.CharField(_("依据通知"), max_length=200, blank=True)
    published_on = models.DateField(_("通知发布日期"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self) -> str:
        return f"{self.year}"


class OfficialDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日（休息）")
        WORKDAY = "workday", _("调休上班")

    schedule = models.ForeignKey(HolidaySchedule, on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=40, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()}"

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from measures.models import Clause, ClauseVersion, Round

# Status and what each status means live with the lifecycle (applications/lifecycle/).
from .lifecycle.statuses import LIVE_STATUSES, Status
from .lifecycle.transitions import Action

MONEY = {"max_digits": 14, "decimal_places": 2}


class Application(models.Model):
    reference = models.CharField(_("申报编号"), max_length=24, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("申报单位"),
    )
    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="applications", verbose_name=_("批次")
    )
    clause = models.ForeignKey(
        Clause, on_delete=models.PROTECT, related_name="applications", verbose_name=_("条款")
    )
    rule_version = models.ForeignKey(
        ClauseVersion,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("规则版本"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # After 退回补正 the case goes back to the stage that returned it.
    returned_from = models.CharField(max_length=20, choices=Status.choices, blank=True)
    revision = models.PositiveIntegerField(_("修订号"), default=0)

    facts = models.JSONField(_("申报信息"), default=dict, blank=True)
    evaluation = models.JSONField(_("测算结果"), default=dict, blank=True)
    computed_amount = models.DecimalField(_("测算金额"), null=True, blank=True, **MONEY)
    amount_kind = models.CharField(_("金额类型"), max_length=12, blank=True)
    tier = models.CharField(max_length=40, blank=True)
    award_group = models.CharField(max_length=60, blank=True)
    basis = models.CharField(_("申报依据"), max_length=500, blank=True)
    recommended_amount = models.DecimalField(_("建议金额"), null=True, blank=True, **MONEY)
    approved_amount = models.DecimalField(_("核定金额"), null=True, blank=True, **MONEY)
    amount_basis = models.TextField(_("金额依据"), blank=True)

    other_funding_declared = models.BooleanField(_("已获其他市级财政资金支持"), default=False)
    other_funding_detail = models.TextField(_("其他市级资金说明"), blank=True)
    pledge_name = models.CharField(_("承诺人"), max_length=60, blank=True)
    pledged_at = models.DateTimeField(_("承诺时间"), null=True, blank=True)
    correction_requests = models.JSONField(_("补正要求"), default=dict, blank=True)
    # 免申即享: created from an official recognition list; these checklist items are
    # satisfied by that list, so the enterprise only confirms the pledge and its account.
    exempt_source = models.CharField(_("免申即享名单"), max_length=300, blank=True)
    exempt_materials = models.JSONField(_("由名单证明的材料"), default=list, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("进入当前环节时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        ordering = ["-created_at"]
        constraints = [
            # A hard duplicate (same organisation, clause and basis) can never be live twice.
            models.UniqueConstraint(
                fields=["organisation", "clause", "basis"],
                condition=Q(status__in=LIVE_STATUSES) & ~Q(basis=""),
                name="application_one_live_per_basis",
                violation_error_message=_("同一单位、同一条款、同一申报依据已有在办申报。"),
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__gte=0),
                name="application_approved_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(recommended_amount__isnull=True) | Q(recommended_amount__gte=0),
                name="application_recommended_non_negative",
            ),
        ]
        indexes = [
            # The queues: one status (or all), oldest waiting first, id as the tie-breaker.
            models.Index(fields=["status", "stage_entered_at", "id"], name="app_status_waiting"),
            models.Index(fields=["stage_entered_at", "id"], name="app_waiting"),
            # The applications API: newest first.
            models.Index(fields=["created_at", "id"], name="app_created"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.organisation} {self.clause.code}"

    @staticmethod
    def new_reference() -> str:
        return "SB" + uuid.uuid4().hex[:12].upper()


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    # Generated names only: the user's filename never reaches the file system.
    return f"evidence/{instance.organisation_id}/{uuid.uuid4().hex}{instance.extension}"


class EvidenceFile(models.Model):
    """An uploaded document of an organisation (一企一档): reusable across its applications."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=60)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("材料文件")
        verbose_name_plural = _("材料文件")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ApplicationMaterial(models.Model):
    """A file attached to a checklist item; corrections add versions, old ones stay."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material_code = models.CharField(max_length=40)
    evidence = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="attachments")
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    attached_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["material_code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material_code", "evidence"],
                condition=Q(is_current=True),
                name="material_current_unique_file",
            )
        ]

    def __str__(self) -> str:
        return f"{self.material_code} v{self.version}"


class DuplicateFlag(models.Model):
    """A possible double support found by the checks, for the reviewer to resolve."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="duplicate_flags"
    )
    other = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=30)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "other"],
                name="duplicate_flag_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.message


class ApplicationSummary(models.Model):
    """Pre-aggregated counts and approved amounts per cell (round × measure × department ×
    place × status), for queue badges, dashboards and the budget page.

    Maintained by `applications.summaries` on every status or approved-amount change; a full
    recount (`summaries_refresh`) runs from Celery beat and after bulk data loads. Drafts are
    not counted (they are the applicant's own business).
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey("measures.Measure", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="+"
    )
    place = models.ForeignKey("accounts.Place", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    count = models.IntegerField(default=0)
    approved_amount = models.DecimalField(default=0, **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "measure", "department", "place", "status"],
                name="application_summary_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.count}"


class Decision(models.Model):
    """One decision on a case, as a typed row: rules read these, never the audit log."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("申报")
    )
    kind = models.CharField(_("决定"), max_length=24, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    stage = models.CharField(_("环节"), max_length=20, choices=Status.choices)
    target = models.CharField(_("结果状态"), max_length=20, choices=Status.choices)
    amount_before = models.DecimalField(_("处理前金额"), null=True, blank=True, **MONEY)
    amount_after = models.DecimalField(_("处理后金额"), null=True, blank=True, **MONEY)
    comment = models.TextField(_("意见"), blank=True)
    details = models.JSONField(_("附加信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("审核决定")
        verbose_name_plural = _("审核决定")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["application", "created_at"]),
            models.Index(fields=["actor", "stage"]),
            models.Index(fields=["kind", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

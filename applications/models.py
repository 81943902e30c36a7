from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from measures.models import Clause, ClauseVersion, Round

# Status and what each status means live with the lifecycle (applications/lifecycle/).
from .lifecycle.statuses import LIVE_STATUSES, Status, status_label
from .lifecycle.transitions import Action

MONEY = {"max_digits": 14, "decimal_places": 2}


class Application(models.Model):
    # Unique by a constraint in Meta, not `unique=True`: that also builds a pattern index
    # (varchar_pattern_ops) no query uses, one more write per case.
    reference = models.CharField(_("申报编号"), max_length=24)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("申报单位"),
    )
    # No index of its own on round, rule version or creator: nothing looks cases up by those
    # alone (a round's cases are read with their status, whose indexes serve), and each index
    # is one more write on every status move of thousands of cases.
    round = models.ForeignKey(
        Round,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("批次"),
        db_index=False,
    )
    clause = models.ForeignKey(
        Clause, on_delete=models.PROTECT, related_name="applications", verbose_name=_("条款")
    )
    # The organisation's place, copied here (set on creation, moved with the organisation by
    # accounts.services) so that a county's queue walks one index in queue order instead of
    # joining every visible row to the county's organisations.
    place = models.ForeignKey(
        "accounts.Place",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
        verbose_name=_("所属县市区/园区"),
    )
    rule_version = models.ForeignKey(
        ClauseVersion,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("规则版本"),
        db_index=False,
    )
    # Indexed by the queue indexes below, which lead with it (`app_status_waiting_incl`).
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
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
    correction_due_on = models.DateField(_("补正期限"), null=True, blank=True)
    # 免申即享: created from an official recognition list; these checklist items are
    # satisfied by that list, so the enterprise only confirms the pledge and its account.
    exempt_source = models.CharField(_("免申即享名单"), max_length=300, blank=True)
    exempt_materials = models.JSONField(_("由名单证明的材料"), default=list, blank=True)
    # The facts the list gave (tier, date, document number): kept as listed, since the list is
    # what proves them; a draft save that changes one is refused.
    exempt_facts = models.JSONField(_("由名单证明的事实"), default=dict, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
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
            models.UniqueConstraint(fields=["reference"], name="application_reference_unique"),
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
            # INCLUDE: a deep page's ids come from the index alone (index-only scans), the
            # department's clause check and the auditor's not-a-draft check included.
            models.Index(
                fields=["status", "stage_entered_at", "id"],
                include=["clause"],
                name="app_status_waiting_incl",
            ),
            models.Index(
                fields=["stage_entered_at", "id"], include=["status"], name="app_waiting_incl"
            ),
            # A county's queue: its place, one status, oldest waiting first.
            models.Index(
                fields=["place", "status", "stage_entered_at", "id"], name="app_place_waiting"
            ),
            # The applications API: newest first.
            models.Index(fields=["created_at", "id"], name="app_created"),
        ]

    def __str__(self) -> str:
        # Read by people (the audit log's object column): the clause by its title, not its code.
        return f"{self.reference} {self.organisation} {self.clause.title}"

    def save(self, *args, **kwargs):
        # The copied place is the organisation's (services set it; this covers direct saves).
        if self.place_id is None and self.organisation_id is not None:
            self.place_id = self.organisation.place_id
        super().save(*args, **kwargs)

    def get_status_display(self) -> str:  # Django keeps a method the class defines
        return status_label(self.status)

    @staticmethod
    def new_reference() -> str:
        return "SB" + uuid.uuid4().hex[:12].upper()


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    # Generated names only: the user's filename never reaches the file system.
    return f"evidence/{instance.organisation_id}/{uuid.uuid4().hex}{instance.extension}"


class ScanStatus(models.TextChoices):
    NOT_SCANNED = "not_scanned", _("未扫描")
    PENDING = "pending", _("病毒扫描中")
    CLEAN = "clean", _("未发现病毒")
    INFECTED = "infected", _("发现病毒")


class EvidenceFile(models.Model):
    """An uploaded document of an organisation (一企一档): reusable across its applications."""

    ScanStatus = ScanStatus

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
    # With ClamAV configured, a file opens only once clamd has found it clean.
    scan_status = models.CharField(
        _("病毒扫描"), max_length=12, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    scan_signature = models.CharField(_("病毒特征"), max_length=200, blank=True)

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

    # Indexed only through the composite indexes below, which lead with the same columns.
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("申报"),
        db_index=False,
    )
    kind = models.CharField(_("决定"), max_length=24, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
        db_index=False,
    )
    stage = models.CharField(_("环节"), max_length=20, choices=Status.choices)
    target = models.CharField(_("结果状态"), max_length=20, choices=Status.choices)
    amount_before = models.DecimalField(_("处理前金额"), null=True, blank=True, **MONEY)
    amount_after = models.DecimalField(_("处理后金额"), null=True, blank=True, **MONEY)
    comment = models.TextField(_("意见"), blank=True)
    details = models.JSONField(_("附加信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"))

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


# --------------------------------------------------------------------------------------------
# The award ledger (applications.ledger writes these; nothing else does)


class AwardGroupLock(models.Model):
    """One row per organisation and award group, locked by every ledger write.

    Locks are taken with SELECT … FOR UPDATE in key order, so two decisions touching the same
    limits of one organisation run one after the other and never deadlock.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    award_group = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "award_group"], name="award_group_lock_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.award_group}"


class AwardReservation(models.Model):
    """What a live application holds against its organisation's limits.

    Taken at submit, adjusted at recommend, approve and amend, released when the application is
    rejected, withdrawn or upheld against. Unreleased rows are the organisation's awards and
    cases under way: caps, 每户, 首次/一次性 and periods are counted over them.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="award_reservations"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="reservations"
    )
    clause_code = models.CharField(max_length=40)
    # The evaluation's award group (cap, first-time group), else the clause code.
    award_group = models.CharField(max_length=60)
    period_key = models.CharField(max_length=20, blank=True)
    tier = models.CharField(max_length=40, blank=True)
    amount = models.DecimalField(_("占用金额"), **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("额度占用")
        verbose_name_plural = _("额度占用")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(released_at__isnull=True),
                name="award_reservation_one_open_per_application",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="award_reservation_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "award_group"])]

    def __str__(self) -> str:
        return f"{self.award_group} {self.amount}"


class AwardItem(models.Model):
    """An item with identity (a product, a certificate, a project) rewarded by an application.

    `item_key` is normalised (no spacing or punctuation differences, NFKC, case-folded); the
    partial unique constraint lets each item be held by one live application per clause.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="award_items"
    )
    scope = models.CharField(max_length=40)  # the clause code
    item_key = models.CharField(max_length=500)
    label = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "scope", "item_key"],
                condition=Q(released_at__isnull=True),
                name="award_item_once_while_held",
            )
        ]

    def __str__(self) -> str:
        return self.label or self.item_key


class Credential(models.Model):
    """一企一档: a recognition or certificate the organisation holds, for one clause.

    It pre-fills that clause's application (level, date, number) and lets the portal tell
    the organisation what it likely qualifies for when a round opens (精准推送).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="credentials"
    )
    clause_code = models.CharField(_("对应条款"), max_length=40)
    title = models.CharField(_("认定或证书名称"), max_length=200)
    level = models.CharField(_("级别"), max_length=40, blank=True)
    obtained_on = models.DateField(_("取得日期"), null=True, blank=True)
    number = models.CharField(_("文号或证书编号"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("资质档案")
        verbose_name_plural = _("资质档案")
        ordering = ["-obtained_on", "-id"]
        indexes = [models.Index(fields=["organisation", "clause_code"])]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

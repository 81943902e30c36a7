"""Integrating platforms (陕企通, 咸企通): service accounts, webhooks and recognition lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from applications.models import Application
from measures.models import Clause


class Scope(models.TextChoices):
    READ_POLICY = "read_policy", _("读取政策")
    PUSH_RECOGNITIONS = "push_recognitions", _("推送认定名单")
    READ_STATUSES = "read_statuses", _("按统一社会信用代码读取申报状态")


class ServiceAccount(models.Model):
    """A platform's key: only a hash is stored; the key is shown once, at creation or rotation."""

    name = models.CharField(_("对接平台"), max_length=100)
    scopes = models.JSONField(_("权限范围"), default=list)
    key_prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("对接账号")
        verbose_name_plural = _("对接账号")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_labels(self) -> list[str]:
        """The scopes as the form names them (unknown codes as they are)."""
        labels = dict(Scope.choices)
        return [str(labels.get(code, code)) for code in self.scopes]


class WebhookSubscription(models.Model):
    account = models.ForeignKey(
        ServiceAccount, on_delete=models.CASCADE, related_name="subscriptions"
    )
    url = models.URLField(_("回调地址"), max_length=500)
    secret = models.CharField(max_length=64)  # the HMAC key the platform verifies with
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class RecognitionList(models.Model):
    """An official list (e.g. the provincial 专精特新 list) imported for one clause."""

    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("名单名称"), max_length=200)
    document_no = models.CharField(_("发布文号"), max_length=100, blank=True)
    file_name = models.CharField(_("文件名"), max_length=120)
    file_sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_via = models.ForeignKey(
        ServiceAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    row_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("认定名单")
        verbose_name_plural = _("认定名单")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.title


class RecognitionRow(models.Model):
    class Outcome(models.TextChoices):
        CREATED = "created", _("已生成免申申报")
        EXISTING = "existing", _("已有申报，未重复生成")
        UNMATCHED = "unmatched", _("未注册，已列入邀请名单")

    recognition_list = models.ForeignKey(
        RecognitionList, on_delete=models.CASCADE, related_name="rows"
    )
    row = models.PositiveIntegerField()
    # Not indexed: rows are read by their list (and their application), never by USCC, and
    # a list writes 10,000 of them at once.
    uscc = models.CharField(max_length=18)
    name = models.CharField(max_length=200)
    recognition = models.CharField(max_length=200, blank=True)
    level = models.CharField(max_length=60, blank=True)
    recognised_on = models.DateField(null=True, blank=True)
    document_no = models.CharField(max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    application = models.OneToOneField(
        Application,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recognition_row",
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)

    class Meta:
        ordering = ["row"]

    def __str__(self) -> str:
        return f"{self.uscc} {self.name}"


class PushPreference(models.Model):
    """An organisation's choice about targeted push messages (精准推送): opt out at any time."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="push_preference"
    )
    opted_out = models.BooleanField(_("不接收政策推送"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organisation_id} {'out' if self.opted_out else 'in'}"


class PushRun(models.Model):
    """A round's push was run (once per round)."""

    round = models.OneToOneField("measures.Round", on_delete=models.CASCADE, related_name="+")
    run_at = models.DateTimeField(auto_now_add=True)
    organisations = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.round_id} {self.run_at:%Y-%m-%d}"

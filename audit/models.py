from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Append-only record of who did what to which object (PostgreSQL triggers forbid UPDATE,
    DELETE of anything younger than the retention period, and TRUNCATE).

    Each event carries `hash` = HMAC-SM3 over its content and the previous event's hash, in
    `sequence` order, so `audit_verify` finds an altered, removed or truncated event.
    """

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Indexed together in Meta (an object's history); the action by a plain index, as the log
    # filters it by equality (no pattern index: every index is a write per event).
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40)
    object_repr = models.CharField(_("对象"), max_length=200)
    action = models.CharField(_("动作"), max_length=60)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    # Null only for events written before the chain existed (see audit_verify).
    sequence = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("前一事件摘要"), max_length=64, blank=True)
    hash = models.CharField(_("摘要"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "occurred_at"]),
            models.Index(fields=["action"], name="audit_event_action"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """One row: the chain's last sequence and hash (so a cut tail is seen) and its base (the
    first event still kept after an archive). Its row lock serialises appends; `mac` makes a
    hand-edited head detectable without the key."""

    head_sequence = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="")
    base_sequence = models.BigIntegerField(default=1)
    base_prev_hash = models.CharField(max_length=64, default="")
    mac = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.head_sequence} {self.head_hash[:12]}"

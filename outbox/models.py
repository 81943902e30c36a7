"""The transactional outbox: one row per side effect, written in the decision's transaction."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待投递")
        DONE = "done", _("已完成")
        FAILED = "failed", _("投递失败")

    kind = models.CharField(_("类型"), max_length=40)
    payload = models.JSONField(default=dict)
    # Two effects with the same key are one effect: the second enqueue is a no-op.
    dedup_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The sweeper may publish the row again from this moment (after a backoff or a lost task).
    available_at = models.DateTimeField(_("下次投递"))
    # A consumer holds the row until then; a killed worker's lease simply expires.
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("待投递事务")
        verbose_name_plural = _("待投递事务")
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_pending_idx",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

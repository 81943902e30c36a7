from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import Application


class NoticeQuerySet(models.QuerySet):
    def open_on(self, day):
        """The notices that accept objections on that day (see Notice.accepts_objections)."""
        return self.filter(working_days__gt=0, starts_on__lte=day, ends_on__gte=day)

    def current_on(self, day):
        """Open ones, and those published on a rest day that open on the next working day:
        a list is public from its publication."""
        return self.filter(working_days__gt=0, ends_on__gte=day)

    def past_on(self, day):
        """Ended ones, and those of a round without a notice period (ended as they began)."""
        return self.filter(starts_on__lte=day).exclude(working_days__gt=0, ends_on__gte=day)


class Notice(models.Model):
    """公示: a public list of approved-in-principle applications for N working days."""

    title = models.CharField(_("公示标题"), max_length=200)
    starts_on = models.DateField(_("公示开始"))
    ends_on = models.DateField(_("公示截止"))
    working_days = models.PositiveSmallIntegerField(_("工作日数"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(_("结束处理时间"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="notice_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def accepts_objections(self, day) -> bool:
        """From its first to its last day inclusive. A round set to no notice period (0
        working days) publishes the list but ends it at once: it takes no objections."""
        return self.working_days > 0 and self.starts_on <= day <= self.ends_on


class NoticeEntry(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="entries")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="notice_entries"
    )
    # What the public saw, frozen at the start of the notice.
    organisation_name = models.CharField(max_length=120)
    measure_title = models.CharField(max_length=100)
    clause_title = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "application"], name="notice_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_name} {self.amount}"


class Objection(models.Model):
    """A named objection lodged against one entry; it holds the application until resolved."""

    entry = models.ForeignKey(NoticeEntry, on_delete=models.PROTECT, related_name="objections")
    name = models.CharField(_("姓名"), max_length=60)
    contact = models.CharField(_("联系方式"), max_length=100)
    content = models.TextField(_("异议内容"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    upheld = models.BooleanField(null=True)
    resolution = models.TextField(_("处理意见"), blank=True)
    # Given to the objector (shown, and emailed when the contact is an email address); anyone
    # holding it can look up the objection's status on /notices/objections/lookup/.
    receipt_no = models.CharField(_("受理回执号"), max_length=24, unique=True, null=True)  # noqa: DJ001 - older rows have none; NULLs stay distinct
    # Set by the outbox consumer that emails the receipt: a redelivered row sends nothing twice.
    receipt_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name}: {self.content[:30]}"


class LetterSequence(models.Model):
    """The last number used per prefix and year; locked while a letter takes the next one."""

    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="letter_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.last}"


class LetterReservation(models.Model):
    """A letter number taken but not yet stored with its PDF.

    Numbers are taken under the counter's row lock in a short transaction; the PDF is rendered
    outside it, so several workers render at once. A render that fails leaves its reservation,
    and the next run for that application uses the same number and code: no gaps, no duplicates.
    """

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="letter_reservation"
    )
    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    verification_code = models.CharField(max_length=24, unique=True)
    issued_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "year", "sequence"], name="letter_reservation_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.sequence}号"


def letter_upload_to(instance: Letter, filename: str) -> str:
    return f"letters/{instance.year}/{instance.verification_code}.pdf"


class Letter(models.Model):
    """奖励资金核定通知书. One current letter per application; amendments supersede."""

    class State(models.TextChoices):
        CURRENT = "current", _("有效")
        SUPERSEDED = "superseded", _("已被更正替代")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="letters")
    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("发文字号"), max_length=40, unique=True)
    verification_code = models.CharField(_("验证码"), max_length=24, unique=True)
    amount = models.DecimalField(_("核定金额"), max_digits=14, decimal_places=2)
    issued_on = models.DateField(_("印发日期"))
    state = models.CharField(max_length=12, choices=State.choices, default=State.CURRENT)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the letter says, frozen for verification (organisation, measure, clause).
    organisation_name = models.CharField(max_length=120)
    measure_title = models.CharField(max_length=100)
    clause_title = models.CharField(max_length=200)
    pdf = models.FileField(upload_to=letter_upload_to, max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("核定通知书")
        verbose_name_plural = _("核定通知书")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "year", "sequence"], name="letter_number_unique_per_year"
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state="current"),
                name="letter_one_current_per_application",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="letter_amount_non_negative"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="letter_sequence_positive"),
        ]

    def __str__(self) -> str:
        return self.number

"""Periodic reminders (beat, or the local in-process loop): idempotent, each sent once.

- a draft whose round closes within DRAFT_REMINDER_DAYS days;
- a 补正 whose deadline is within CORRECTION_REMINDER_WORKING_DAYS working days;
- a 补正 past its deadline (the queue marks it 逾期 from the same date).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import Message, notify_many
from applications.models import Application, Status
from core.dates import deadline_text

from .calendar import is_working_day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: 0 when `end` is today or earlier."""
    day, count = start, 0
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def _members(application: Application) -> list:
    return list(application.organisation.members.all())


def _draft_messages(now: datetime) -> list[Message]:
    days = getattr(settings, "DRAFT_REMINDER_DAYS", 3)
    drafts = Application.objects.filter(
        status=Status.DRAFT,
        round__closes_at__gt=now,
        round__closes_at__lte=now + timedelta(days=days),
    ).select_related("round", "clause", "organisation")
    out = []
    for a in drafts:
        closes = timezone.localtime(a.round.closes_at)
        when = deadline_text(closes)
        out.append(
            Message(
                users=_members(a),
                subject=_("草稿 %(ref)s 尚未提交，批次将于 %(when)s 截止")
                % {"ref": a.reference, "when": when},
                body=_(
                    "您单位的“%(clause)s”申报仍是草稿。%(round)s将于 %(when)s 截止，请及时提交。"
                )
                % {
                    "clause": a.clause.title,
                    "round": a.round.name,
                    "when": when,
                },
                link=reverse("applications:edit", args=[a.reference]),
                key=f"draft-closing:{a.pk}:{closes.date().isoformat()}",
            )
        )
    return out


def _correction_messages(today: date) -> list[Message]:
    within = getattr(settings, "CORRECTION_REMINDER_WORKING_DAYS", 2)
    returned = Application.objects.filter(
        status=Status.RETURNED, correction_due_on__isnull=False
    ).select_related("clause", "organisation")
    out = []
    for a in returned:
        due = a.correction_due_on
        if due < today:
            kind = "overdue"
            subject = _("申报 %(ref)s 补正已逾期（期限 %(due)s）")
            body = _("“%(clause)s”的补正期限 %(due)s 已过，请尽快补正或联系审核人员。")
        elif working_days_between(today, due) <= within:
            kind = "due"
            subject = _("申报 %(ref)s 补正将于 %(due)s 到期")
            body = _("“%(clause)s”的补正期限为 %(due)s，请在期限前补正并重新提交。")
        else:
            continue
        values = {"ref": a.reference, "clause": a.clause.title, "due": due.isoformat()}
        out.append(
            Message(
                users=_members(a),
                subject=subject % values,
                body=body % values,
                link=reverse("applications:detail", args=[a.reference]),
                key=f"correction-{kind}:{a.pk}:{due.isoformat()}",
            )
        )
    return out


def reminders_send(*, now: datetime | None = None) -> int:
    """Send the reminders due at `now`; returns how many notifications were stored."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    messages = _draft_messages(now) + _correction_messages(today)
    return len(notify_many(messages))

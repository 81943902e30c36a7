"""Lifecycle effects that live with reviews: entering the notice and queueing the letter.

Registered when the app is ready, so `applications/` never imports reviews.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from applications.lifecycle.effects import after, guard
from applications.lifecycle.transitions import Effect
from core.errors import DomainError

from .calendar import working_period
from .letters.tasks import queue_letters
from .models import Notice, NoticeEntry


@guard(Effect.NOTICE_ENTER)
def notice_enter(ctx) -> None:
    notice_id = ctx.request.details.get("notice")
    notice = Notice.objects.filter(pk=notice_id).first() if notice_id else None
    if notice is None:
        raise DomainError(
            _("公示须在“拟支持名单公示”页面发起，以生成公示名单和公示期。"), code="notice_required"
        )
    application = ctx.application
    NoticeEntry.objects.create(
        notice=notice,
        application=application,
        organisation_name=application.organisation.legal_name,
        measure_title=str(application.clause.measure),
        clause_title=application.clause.title,
        amount=application.approved_amount,
    )


CORRECTION_WORKING_DAYS = 10


def correction_deadline(given: date | None, *, today: date | None = None) -> date:
    """The 补正 deadline: the reviewer's date (tomorrow at the earliest, within 60 days), or
    10 working days from today."""
    today = today or timezone.localdate()
    if given is None:
        return working_period(today + timedelta(days=1), CORRECTION_WORKING_DAYS)[1]
    if given <= today:
        message = _("补正期限不能早于明天。")
    elif given > today + timedelta(days=60):
        message = _("补正期限不能超过60天。")
    else:
        return given
    raise DomainError(message, code="invalid_deadline", detail={"correction_due_on": [message]})


@guard(Effect.CORRECTION_DEADLINE)
def correction_deadline_set(ctx) -> None:
    ctx.application.correction_due_on = correction_deadline(ctx.request.correction_due_on)
    ctx.request.details["correction_due_on"] = ctx.application.correction_due_on.isoformat()
    ctx.update_fields.add("correction_due_on")


@after(Effect.QUEUE_LETTER)
def letters_queue(contexts) -> None:
    queue_letters([ctx.application.pk for ctx in contexts])

"""Lifecycle effects that live with reviews: entering the notice and queueing the letter.

Registered when the app is ready, so `applications/` never imports reviews.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from applications.lifecycle.effects import after, guard
from applications.lifecycle.transitions import Effect
from xianyang_portal.errors import DomainError

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


@after(Effect.QUEUE_LETTER)
def letters_queue(contexts) -> None:
    queue_letters([ctx.application.pk for ctx in contexts])

"""Public notice (公示): start, objections, and the end that approves the unobjected."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import user_scopes
from applications.lifecycle.engine import (
    TransitionRequest,
    application_transition,
    applications_transition_bulk,
    raise_if_any_refused,
)
from applications.lifecycle.transitions import Action
from applications.models import Application, Status
from xianyang_portal.errors import DomainError, NotAllowed

from .calendar import working_period
from .models import Notice, NoticeEntry, Objection

logger = logging.getLogger(__name__)
DEFAULT_NOTICE_WORKING_DAYS = 5


@transaction.atomic
def notice_start(
    *,
    actor: User,
    application_ids: Sequence[int],
    working_days: int = DEFAULT_NOTICE_WORKING_DAYS,
    title: str = "",
    today: date | None = None,
) -> Notice:
    if not user_scopes(actor).has(Role.APPROVER):
        raise NotAllowed(_("只有审定人员可以发起公示。"))
    if not application_ids:
        raise DomainError(_("请选择要公示的申报。"), code="empty_notice")
    if not 1 <= working_days <= 30:
        raise DomainError(
            _("公示期应为1至30个工作日。"),
            code="invalid_period",
            detail={"working_days": [_("公示期应为1至30个工作日。")]},
        )
    starts_on, ends_on = working_period(today or timezone.localdate(), working_days)
    notice = Notice.objects.create(
        title=title.strip()
        or _("惠企政策奖励资金拟支持名单公示（%(day)s）") % {"day": starts_on.isoformat()},
        starts_on=starts_on,
        ends_on=ends_on,
        working_days=working_days,
        created_by=actor,
    )
    # The engine puts each case on this notice (the notice_enter effect); all or none.
    raise_if_any_refused(
        applications_transition_bulk(
            actor=actor,
            application_ids=list(application_ids),
            request=TransitionRequest(Action.START_NOTICE, details={"notice": notice.pk}),
        )
    )
    return notice


@transaction.atomic
def objection_lodge(
    *, entry_id: int, name: str, contact: str, content: str, today: date | None = None
) -> Objection:
    """A named objection from the public; anonymous ones are refused, as is practice."""
    errors = {}
    if not name.strip():
        errors["name"] = [_("请填写真实姓名，匿名异议不予受理。")]
    if not contact.strip():
        errors["contact"] = [_("请填写联系方式，以便核实。")]
    if len(content.strip()) < 5:
        errors["content"] = [_("请具体说明异议内容（至少5个字）。")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], code="invalid_objection", detail=errors)
    entry = NoticeEntry.objects.select_related("notice").get(pk=entry_id)
    today = today or timezone.localdate()
    if not entry.notice.starts_on <= today <= entry.notice.ends_on:
        raise DomainError(_("不在公示期内，无法提出异议。"), code="notice_closed")
    objection = Objection.objects.create(
        entry=entry, name=name.strip(), contact=contact.strip(), content=content.strip()
    )
    application = Application.objects.get(pk=entry.application_id)
    if application.status == Status.PUBLIC_NOTICE:
        application_transition(
            actor=None,
            application_id=application.pk,
            request=TransitionRequest(
                Action.OBJECT,
                comment=content.strip()[:500],
                details={"objection": objection.pk, "by": name.strip()},
            ),
            system=True,
        )
    return objection


@transaction.atomic
def objection_resolve(
    *, actor: User, objection_id: int, upheld: bool, resolution: str
) -> Objection:
    objection = Objection.objects.select_for_update().select_related("entry").get(pk=objection_id)
    if objection.resolved_at is not None:
        raise DomainError(_("该异议已处理。"), code="already_resolved")
    if not resolution.strip():
        raise DomainError(
            _("请填写处理意见。"),
            code="comment_required",
            detail={"resolution": [_("请填写处理意见。")]},
        )
    objection.upheld = upheld
    objection.resolution = resolution.strip()
    objection.resolved_by = actor
    objection.resolved_at = timezone.now()
    objection.save(update_fields=["upheld", "resolution", "resolved_by", "resolved_at"])
    pending = Objection.objects.filter(
        entry__application_id=objection.entry.application_id, resolved_at__isnull=True
    )
    application = Application.objects.get(pk=objection.entry.application_id)
    if application.status == Status.OBJECTION and (upheld or not pending.exists()):
        application_transition(
            actor=actor,
            application_id=application.pk,
            request=TransitionRequest(
                Action.UPHOLD_OBJECTION if upheld else Action.DISMISS_OBJECTION,
                comment=resolution.strip(),
                details={"objection": objection.pk},
            ),
        )
    return objection


def notices_finish_due(*, today: date | None = None) -> list[int]:
    """Approve every unobjected application whose notice has ended (beat, or the command).

    Each application commits on its own: one failure does not stop the others, and each
    approval queues its own letter (the finish_notice transition's effect).
    """
    today = today or timezone.localdate()
    approved: list[int] = []
    due = NoticeEntry.objects.filter(
        notice__ends_on__lt=today, application__status=Status.PUBLIC_NOTICE
    )
    for application_id in due.values_list("application_id", flat=True).distinct().order_by():
        try:
            application_transition(
                actor=None,
                application_id=application_id,
                request=TransitionRequest(Action.FINISH_NOTICE),
                system=True,
            )
        except DomainError:
            logger.exception("notice end failed for application %s", application_id)
            continue
        approved.append(application_id)
    Notice.objects.filter(ends_on__lt=today, finished_at__isnull=True).exclude(
        entries__application__status__in=(Status.PUBLIC_NOTICE, Status.OBJECTION)
    ).update(finished_at=timezone.now())
    return approved

"""Public notice (公示): start, objections, and the end that approves the unobjected."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
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
from core.errors import DomainError, NotAllowed
from core.site import site_url
from measures.models import Round
from outbox.services import outbox_enqueue

from .calendar import working_period
from .models import Notice, NoticeEntry, Objection

logger = logging.getLogger(__name__)
DEFAULT_NOTICE_WORKING_DAYS = 5


@transaction.atomic
def notice_start(
    *,
    actor: User,
    application_ids: Sequence[int],
    working_days: int | None = None,
    title: str = "",
    today: date | None = None,
) -> Notice:
    """Publish a notice; its length is the round's setting unless the approver gives one.

    A round set to 0 working days (the demo round) has a notice that ends at once: the next
    periodic run approves it.
    """
    if not user_scopes(actor).has(Role.APPROVER):
        raise NotAllowed(_("只有审定人员可以发起公示。"))
    if not application_ids:
        raise DomainError(_("请选择要公示的申报。"), code="empty_notice")
    from_round = working_days is None
    if from_round:
        working_days = notice_days_for(application_ids)
    if not (0 if from_round else 1) <= working_days <= 30:
        raise DomainError(
            _("公示期应为1至30个工作日。"),
            code="invalid_period",
            detail={"working_days": [_("公示期应为1至30个工作日。")]},
        )
    today = today or timezone.localdate()
    starts_on, ends_on = working_period(today, working_days) if working_days else (today, today)
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


def notice_days_for(application_ids: Sequence[int]) -> int:
    """The longest notice period among the rounds of these applications (their setting)."""
    days = Round.objects.filter(applications__pk__in=application_ids).aggregate(
        days=Max("notice_working_days")
    )["days"]
    return DEFAULT_NOTICE_WORKING_DAYS if days is None else days


MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")


def contact_is_valid(contact: str) -> bool:
    """A mainland mobile number, a landline with its area code, or an email address."""
    compact = contact.replace(" ", "")
    if MOBILE.match(compact) or LANDLINE.match(compact):
        return True
    try:
        validate_email(contact)
    except ValidationError:
        return False
    return True


def new_receipt_no(today: date) -> str:
    """YY-20251020-7KQ2MZ: the day, then 6 characters that cannot be guessed or misread."""
    from .letters.services import CODE_ALPHABET

    tail = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"YY-{today:%Y%m%d}-{tail}"


RECEIPT_EMAIL_KIND = "objection_receipt_email"


def objection_receipt_email_send(*, objection_id: int) -> str:
    """The outbox consumer: email the objector's receipt once (a redelivery sends nothing)."""
    with transaction.atomic():
        objection = Objection.objects.select_for_update().get(pk=objection_id)
        if objection.receipt_emailed_at is not None:
            return "already-sent"
        send_mail(
            subject=_("[咸阳惠企平台] 公示异议已受理，回执号 %(no)s")
            % {"no": objection.receipt_no},
            message=_(
                "%(name)s：您对公示名单提出的异议已受理，回执号 %(no)s。"
                "可凭回执号在 %(url)s 查询处理进度。"
            )
            % {
                "name": objection.name,
                "no": objection.receipt_no,
                "url": site_url() + reverse("objection_lookup"),
            },
            from_email=None,
            recipient_list=[objection.contact],
        )
        objection.receipt_emailed_at = timezone.now()
        objection.save(update_fields=["receipt_emailed_at"])
    return "sent"


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
    elif not contact_is_valid(contact.strip()):
        errors["contact"] = [
            _("请填写有效的手机号（11位）、固定电话（如029-33000000）或电子邮箱。")
        ]
    if len(content.strip()) < 5:
        errors["content"] = [_("请具体说明异议内容（至少5个字）。")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], code="invalid_objection", detail=errors)
    entry = NoticeEntry.objects.select_related("notice").get(pk=entry_id)
    today = today or timezone.localdate()
    if not entry.notice.accepts_objections(today):
        raise DomainError(_("不在公示期内，无法提出异议。"), code="notice_closed")
    # Locked before it is read: the notice's end (approval) may be committing this moment.
    application = Application.objects.select_for_update().get(pk=entry.application_id)
    if application.status not in (Status.PUBLIC_NOTICE, Status.OBJECTION):
        raise DomainError(
            _("该项目的公示已结束，不再受理异议；如有问题请向主管部门反映。"),
            code="notice_closed",
        )
    objection = Objection.objects.create(
        entry=entry,
        name=name.strip(),
        contact=contact.strip(),
        content=content.strip(),
        receipt_no=new_receipt_no(today),
    )
    if "@" in objection.contact:  # written with the objection; a failed send is retried
        outbox_enqueue(
            kind=RECEIPT_EMAIL_KIND,
            payload={"objection_id": objection.pk},
            dedup_key=f"{RECEIPT_EMAIL_KIND}:{objection.pk}",
        )
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
    ended = Q(notice__ends_on__lt=today) | Q(notice__working_days=0)
    due = NoticeEntry.objects.filter(ended, application__status=Status.PUBLIC_NOTICE)
    for application_id in due.values_list("application_id", flat=True).distinct().order_by():
        try:
            application_transition(
                actor=None,
                application_id=application_id,
                request=TransitionRequest(Action.FINISH_NOTICE),
                system=True,
            )
        except DomainError as exc:  # refused (e.g. already ended by an overlapping run)
            logger.warning("notice end refused for application %s: %s", application_id, exc)
            continue
        except Exception:  # one case that cannot be approved never stops the others
            logger.exception("notice end failed for application %s", application_id)
            continue
        approved.append(application_id)
    Notice.objects.filter(
        Q(ends_on__lt=today) | Q(working_days=0), finished_at__isnull=True
    ).exclude(entries__application__status__in=(Status.PUBLIC_NOTICE, Status.OBJECTION)).update(
        finished_at=timezone.now()
    )
    return approved

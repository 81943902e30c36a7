"""Demo applications at several stages, made through the real services (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Organisation, User
from measures.models import Clause
from reviews.notices import notice_start, notices_finish_due
from reviews.services import TransitionRequest, application_transition
from reviews.workflow import Action

from . import services
from .models import Application

DEMO_FACTS = {
    "level": "national",
    "recognised_on": "2025-08-20",
    "certificate_no": "工信部企业函〔2025〕188号",
}


def _blank_pdf() -> bytes:
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def demo_application(
    *, user: User, clause: Clause, facts: dict, submit: bool = True
) -> Application:
    """Start, fill, attach a blank PDF to every required item and (optionally) submit.

    Also used by the tests' application factory, so demo data and tests share one path.
    """
    organisation = Organisation.objects.get(memberships__user=user)
    application = services.application_start(actor=user, organisation=organisation, clause=clause)
    services.application_save_draft(actor=user, application_id=application.pk, raw_facts=facts)
    for material in clause.current_version.rule.materials:
        if material.required and material.code != services.PLEDGE_MATERIAL:
            services.application_attach_upload(
                actor=user,
                application_id=application.pk,
                material_code=material.code,
                upload=SimpleUploadedFile(f"{material.code}.pdf", _blank_pdf()),
            )
    if submit:
        services.application_submit(
            actor=user,
            application_id=application.pk,
            pledge_accepted=True,
            pledge_name=user.full_name or user.username,
        )
    application.refresh_from_db()
    return application


def _submitted(user: User, clause_code: str, facts: dict) -> Application:
    return demo_application(user=user, clause=Clause.objects.get(code=clause_code), facts=facts)


def seed_applications() -> None:
    users = {u.username: u for u in User.objects.filter(username__in=[
        "qindu_corp", "weicheng_corp", "county_qindu", "county_weicheng", "dept_miit", "approver",
    ])}  # fmt: skip
    if Application.objects.exists():
        return
    # Approved with a letter: the whole path, notice included.
    approved = _submitted(users["qindu_corp"], "M02-SPECIALISED-SME", DEMO_FACTS)
    step = lambda actor, action, **kw: application_transition(  # noqa: E731
        actor=users[actor], application_id=approved.pk, request=TransitionRequest(action, **kw)
    )
    step("county_qindu", Action.PASS, comment="材料齐全")
    step("dept_miit", Action.RECOMMEND, amount="200000", comment="符合条件")
    step("approver", Action.APPROVE, amount="200000", comment="同意")
    notice_start(
        actor=users["approver"],
        application_ids=[approved.pk],
        today=timezone.localdate() - timedelta(days=14),
    )
    notices_finish_due()
    # Waiting at county review, and a draft.
    _submitted(
        users["weicheng_corp"],
        "M04-SMART-FACTORY",
        {
            "level": "advanced",
            "recognised_on": "2025-09-10",
            "certificate_no": "陕工信发〔2025〕66号",
        },
    )
    services.application_start(
        actor=users["qindu_corp"],
        organisation=Organisation.objects.get(memberships__user=users["qindu_corp"]),
        clause=Clause.objects.get(code="M14-GREEN-DESIGN-PRODUCT"),
    )

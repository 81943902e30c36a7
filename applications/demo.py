"""A demo application made through the real services (demo data and the tests' factory)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organisation, User
from measures.models import Clause

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

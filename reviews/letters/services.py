"""Issue approval letters: numbered gap-free per year, rendered in batches, exactly once."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from applications.lifecycle.statuses import AWARDED_STATUSES
from applications.models import Application
from audit.services import audit_record
from measures.rules.describe import fact_rows

from ..models import Letter, LetterSequence
from .render import LetterContent, render_letter_pdfs

LETTER_PREFIX = "咸工信奖"
ISSUER = "咸阳市工业和信息化局"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed safely
CODE_LENGTH = 16  # 80 bits: not guessable


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_number(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}〔{year}〕{sequence}号"


def _facts_summary(application: Application) -> tuple[tuple[str, str], ...]:
    rows = fact_rows(application.rule_version.rule, application.facts)
    return tuple((label, value) for label, value in rows if value)[:8]


def _content(application: Application, number: str, code: str, issued_on: date) -> LetterContent:
    policy = application.clause.policy
    return LetterContent(
        number=number,
        organisation_name=application.organisation.legal_name,
        uscc=application.organisation.uscc,
        policy_document=policy.document_number,
        policy_title=policy.title,
        measure_number=application.clause.measure.number,
        measure_title=application.clause.measure.title,
        clause_title=application.clause.title,
        facts=_facts_summary(application),
        amount=application.approved_amount,
        issued_on=issued_on,
        issuer=ISSUER,
        verification_code=code,
        verify_url=settings.SITE_URL.rstrip("/") + reverse("verify_letter", args=[code]),
    )


@transaction.atomic
def letters_issue(*, application_ids: Sequence[int], today: date | None = None) -> list[Letter]:
    """Make the missing or outdated letters for these applications; safe to run again.

    The year's counter row stays locked until the letters are stored, so numbers are
    sequential without gaps or duplicates even when several workers run at once.
    """
    issued_on = today or timezone.localdate()
    LetterSequence.objects.get_or_create(prefix=LETTER_PREFIX, year=issued_on.year)
    counter = LetterSequence.objects.select_for_update().get(
        prefix=LETTER_PREFIX, year=issued_on.year
    )
    applications = (
        Application.objects.select_for_update(of=("self",))
        .select_related(
            "organisation", "clause", "clause__measure", "clause__policy", "rule_version"
        )
        .filter(pk__in=application_ids, status__in=AWARDED_STATUSES, approved_amount__isnull=False)
        .order_by("pk")
    )
    current = {
        letter.application_id: letter
        for letter in Letter.objects.select_for_update().filter(
            application_id__in=application_ids, state=Letter.State.CURRENT
        )
    }
    todo = [
        a for a in applications if a.pk not in current or current[a.pk].amount != a.approved_amount
    ]
    if not todo:
        return []
    plans = []
    for application in todo:
        counter.last += 1
        code = new_verification_code()
        plans.append((application, counter.last, code))
    contents = [
        _content(
            application, format_number(LETTER_PREFIX, issued_on.year, sequence), code, issued_on
        )
        for application, sequence, code in plans
    ]
    pdfs = render_letter_pdfs(contents)
    letters = []
    for (application, sequence, code), content, pdf in zip(plans, contents, pdfs, strict=True):
        previous = current.get(application.pk)
        if previous is not None:
            previous.state = Letter.State.SUPERSEDED
            previous.save(update_fields=["state"])
        letter = Letter(
            application=application,
            prefix=LETTER_PREFIX,
            year=issued_on.year,
            sequence=sequence,
            number=content.number,
            verification_code=code,
            amount=application.approved_amount,
            issued_on=issued_on,
            organisation_name=content.organisation_name,
            measure_title=f"第{content.measure_number}条 {content.measure_title}",
            clause_title=content.clause_title,
        )
        letter.pdf.save(f"{code}.pdf", ContentFile(pdf), save=False)
        letter.save()
        if previous is not None:
            previous.superseded_by = letter
            previous.save(update_fields=["superseded_by"])
        audit_record(
            actor=None,
            obj=application,
            action="application.letter_issued",
            before={"letter": previous.number if previous else None},
            after={"letter": letter.number, "amount": letter.amount},
        )
        letters.append(letter)
    counter.save(update_fields=["last"])
    return letters

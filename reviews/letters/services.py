"""Issue approval letters: numbered gap-free per year, rendered in batches, exactly once."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import Message, notify_many
from applications.lifecycle.statuses import AWARDED_STATUSES
from applications.models import Application
from audit.services import AuditEntry, audit_record_many
from core.files import files_follow_transaction
from core.money import format_yuan
from core.site import site_url
from measures.rules.describe import fact_rows

from ..models import Letter, LetterReservation, LetterSequence
from .render import LetterContent, render_letter_pdfs

LETTER_PREFIX = "咸工信奖"
ISSUER = "咸阳市工业和信息化局"
# No 0/O, 1/I, and no Q: the letter's typeface (LXGW WenKai) draws 9 like a q, and a code
# typed as printed must be found (reviews.selectors.letter_by_code reads an older Q as 9 too).
CODE_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 31^16 ≈ 2^79: not guessable


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_number(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}〔{year}〕{sequence}号"


def _facts_summary(application: Application) -> tuple[tuple[str, str], ...]:
    rows = fact_rows(application.rule_version.rule, application.facts)
    return tuple((label, value) for label, value in rows if value)[:8]


def _content(application: Application, reservation: LetterReservation) -> LetterContent:
    policy = application.clause.policy
    code = reservation.verification_code
    return LetterContent(
        number=format_number(reservation.prefix, reservation.year, reservation.sequence),
        organisation_name=application.organisation.legal_name,
        uscc=application.organisation.uscc,
        policy_document=policy.document_number,
        policy_title=policy.title,
        measure_number=application.clause.measure.number,
        measure_title=application.clause.measure.title,
        clause_title=application.clause.title,
        facts=_facts_summary(application),
        amount=application.approved_amount,
        issued_on=reservation.issued_on,
        issuer=ISSUER,
        verification_code=code,
        verify_url=site_url() + reverse("verify_letter", args=[code]),
        copy_to=settings.LETTER_COPY_TO,
        printed_by=settings.LETTER_PRINTED_BY,
    )


def letters_issue(*, application_ids: Sequence[int], today: date | None = None) -> list[Letter]:
    """Make the missing or outdated letters for these applications; safe to run again.

    Three steps, so that workers render in parallel and numbers stay gap-free:
    1. numbers are reserved under the year's counter row lock (a short transaction);
    2. the PDFs are rendered with no lock held;
    3. letters are stored and their reservations consumed (a short transaction).
    A failed render keeps its reservations; the retry renders the same numbers. When another
    run stored one of ours first and the amount has changed since, one more round catches up.
    PDFs written by a store that does not commit are removed again.
    """
    issued_on = today or timezone.localdate()
    letters: list[Letter] = []
    for _round in range(3):
        reserved = _letters_reserve(application_ids, issued_on)
        if not reserved:
            break
        contents = [_content(application, reservation) for application, reservation in reserved]
        pdfs = render_letter_pdfs(contents, seal_image=settings.LETTER_SEAL_IMAGE or None)
        stored, skipped = _letters_store(reserved, contents, pdfs)
        letters += stored
        if not skipped:
            break
    return letters


def _todo(application_ids: Sequence[int]) -> list[Application]:
    """Awarded applications whose current letter is missing or names another amount."""
    applications = (
        Application.objects.select_related(
            "organisation", "clause", "clause__measure", "clause__policy", "rule_version"
        )
        .filter(pk__in=application_ids, status__in=AWARDED_STATUSES, approved_amount__isnull=False)
        .order_by("pk")
    )
    current = dict(
        Letter.objects.filter(
            application_id__in=application_ids, state=Letter.State.CURRENT
        ).values_list("application_id", "amount")
    )
    return [a for a in applications if current.get(a.pk) != a.approved_amount]


@transaction.atomic
def _letters_reserve(
    application_ids: Sequence[int], issued_on: date
) -> list[tuple[Application, LetterReservation]]:
    """Reserve numbers for the letters to make; a reservation left by a failed run is reused."""
    LetterSequence.objects.get_or_create(prefix=LETTER_PREFIX, year=issued_on.year)
    counter = LetterSequence.objects.select_for_update().get(
        prefix=LETTER_PREFIX, year=issued_on.year
    )
    todo = _todo(application_ids)  # read under the lock: other runs' reservations are visible
    if not todo:
        return []
    existing = {
        r.application_id: r
        for r in LetterReservation.objects.filter(application_id__in=[a.pk for a in todo])
    }
    new = []
    for application in todo:
        if application.pk not in existing:
            counter.last += 1
            new.append(
                LetterReservation(
                    application=application,
                    prefix=LETTER_PREFIX,
                    year=issued_on.year,
                    sequence=counter.last,
                    verification_code=new_verification_code(),
                    issued_on=issued_on,
                )
            )
    if new:
        LetterReservation.objects.bulk_create(new)
        counter.save(update_fields=["last"])
        existing.update((r.application_id, r) for r in new)
    return [(application, existing[application.pk]) for application in todo]


def _letters_store(
    reserved: list[tuple[Application, LetterReservation]],
    contents: list[LetterContent],
    pdfs: list[bytes],
) -> tuple[list[Letter], int]:
    """Store the rendered letters whose reservations are still open; count the others."""
    with files_follow_transaction() as track, transaction.atomic():
        return _letters_store_rows(reserved, contents, pdfs, track)


def _letters_store_rows(reserved, contents, pdfs, track) -> tuple[list[Letter], int]:
    open_ids = set(
        LetterReservation.objects.select_for_update()
        .filter(pk__in=[r.pk for _a, r in reserved])
        .values_list("pk", flat=True)
    )
    application_ids = [a.pk for a, r in reserved if r.pk in open_ids]
    current = {
        letter.application_id: letter
        for letter in Letter.objects.select_for_update().filter(
            application_id__in=application_ids, state=Letter.State.CURRENT
        )
    }
    kept = [
        (application, reservation, content, pdf)
        for (application, reservation), content, pdf in zip(reserved, contents, pdfs, strict=True)
        if reservation.pk in open_ids
    ]
    # The chunk's rows in a few statements (not two saves, an audit append and a members query
    # per letter): the files first, then the letters, the superseded ones, one audit append.
    letters = []
    for application, reservation, content, pdf in kept:
        letter = Letter(
            application=application,
            prefix=reservation.prefix,
            year=reservation.year,
            sequence=reservation.sequence,
            number=content.number,
            verification_code=reservation.verification_code,
            amount=content.amount,
            issued_on=reservation.issued_on,
            organisation_name=content.organisation_name,
            measure_title=f"第{content.measure_number}条 {content.measure_title}",
            clause_title=content.clause_title,
        )
        letter.pdf.save(f"{reservation.verification_code}.pdf", ContentFile(pdf), save=False)
        track(letter.pdf)
        letters.append(letter)
    previous = [current[a.pk] for a, _r, _c, _p in kept if a.pk in current]
    if previous:  # before the new rows: one current letter per application at any time
        Letter.objects.filter(pk__in=[p.pk for p in previous]).update(state=Letter.State.SUPERSEDED)
    Letter.objects.bulk_create(letters)
    by_application = {letter.application_id: letter for letter in letters}
    for old in previous:
        old.state = Letter.State.SUPERSEDED
        old.superseded_by = by_application[old.application_id]
    Letter.objects.bulk_update(previous, ["superseded_by"])
    audit_record_many(
        actor=None,
        entries=[
            AuditEntry(
                obj=letter.application,
                action="application.letter_issued",
                before={"letter": getattr(current.get(letter.application_id), "number", None)},
                after={"letter": letter.number, "amount": letter.amount},
            )
            for letter in letters
        ],
    )
    prefetch_related_objects([letter.application for letter in letters], "organisation__members")
    LetterReservation.objects.filter(pk__in=open_ids).delete()
    notify_many(_letter_message(letter) for letter in letters)
    return letters, len(reserved) - len(open_ids)


def _letter_message(letter: Letter) -> Message:
    application = letter.application
    return Message(
        users=list(application.organisation.members.all()),
        subject=_("核定通知书 %(number)s 已出具") % {"number": letter.number},
        body=_("您单位申报的“%(clause)s”核定奖励 %(amount)s，通知书可在申报详情页下载。")
        % {"clause": letter.clause_title, "amount": format_yuan(letter.amount)},
        link=reverse("applications:detail", args=[application.reference]),
    )

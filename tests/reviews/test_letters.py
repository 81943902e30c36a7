"""Letters: content, numbering, exactly-once, supersession, verification, access."""

import io
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from pypdf import PdfReader

from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Application, Status
from core.errors import DomainError
from reviews.letters.services import letters_issue
from reviews.models import Letter


@pytest.fixture
def approved(case_factory):
    def make(amount="200000.00", **kwargs):
        return case_factory(
            Status.APPROVED, approved=Decimal(amount), recommended=Decimal(amount), **kwargs
        )

    return make


def _text(letter):
    with letter.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return reader, "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace(
        "\n", ""
    )


def test_letter_content_and_layout(approved):
    application = approved("200000.00")
    [letter] = letters_issue(application_ids=[application.pk])
    reader, text = _text(letter)
    assert letter.number in text.replace(" ", "")
    assert application.organisation.legal_name in text
    assert "人民币200,000.00元（大写：贰拾万元整）" in text
    assert letter.verification_code in text
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_running_twice_leaves_one_letter(approved):
    application = approved()
    first = letters_issue(application_ids=[application.pk])
    second = letters_issue(application_ids=[application.pk])
    assert len(first) == 1 and second == []
    assert Letter.objects.filter(application=application).count() == 1


def test_unapproved_application_gets_no_letter(case_factory):
    application = case_factory(Status.APPROVAL, recommended=Decimal("1000"))
    assert letters_issue(application_ids=[application.pk]) == []
    assert not Letter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_numbers_gap_free_under_concurrent_generation(approved):
    apps = [approved(f"{10000 + i}.00") for i in range(8)]
    errors = []

    def issue(ids):
        try:
            letters_issue(application_ids=ids)
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=([a.pk for a in apps[i::4]],)) for i in range(4)]
    threads += [threading.Thread(target=issue, args=([apps[0].pk, apps[1].pk],))]  # a duplicate run
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sequences = sorted(Letter.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 9))
    assert Letter.objects.values("application").distinct().count() == 8


def test_amendment_supersedes_and_old_letter_stays_verifiable(
    approved, demo, client, django_capture_on_commit_callbacks
):
    application = approved("200000.00")
    [old] = letters_issue(application_ids=[application.pk])
    with django_capture_on_commit_callbacks(execute=True):
        application_transition(
            actor=demo["approver"],
            application_id=application.pk,
            request=TransitionRequest(
                Action.AMEND, amount="180000.50", comment="核减：发票金额有误"
            ),
        )
    old.refresh_from_db()
    new = Letter.objects.get(application=application, state="current")
    assert old.state == "superseded" and old.superseded_by == new
    assert new.amount == Decimal("180000.50") and new.sequence == old.sequence + 1
    _reader, text = _text(new)
    assert "人民币180,000.50元（大写：壹拾捌万元伍角）" in text
    body = client.get(f"/verify/{old.verification_code}/").content.decode()
    assert "已被更正" in body and new.number in body


def test_amend_with_too_many_decimals_is_refused(approved, demo):
    application = approved("200000.00")
    with pytest.raises(DomainError) as info:
        application_transition(
            actor=demo["approver"],
            application_id=application.pk,
            request=TransitionRequest(Action.AMEND, amount="1.005", comment="x"),
        )
    assert info.value.code == "invalid_amount"
    assert not Letter.objects.exists()


def test_verification_page(approved, client):
    application = approved()
    [letter] = letters_issue(application_ids=[application.pk])
    ok = client.get(f"/verify/{letter.verification_code}/")
    body = ok.content.decode()
    assert ok.status_code == 200 and "真实有效" in body
    assert letter.organisation_name in body and "¥200,000.00" in body
    assert (
        application.organisation.uscc not in body
        and application.organisation.bank_account not in body
    )
    tampered = letter.verification_code[:-1] + ("A" if letter.verification_code[-1] != "A" else "B")
    missing = client.get(f"/verify/{tampered}/")
    assert missing.status_code == 404 and "未找到" in missing.content.decode()
    assert client.get("/verify/<script>/").status_code == 404


def test_a_code_typed_from_paper_is_found(approved, client):
    """The letter's typeface draws 9 like a q: codes have no Q, and a typed Q reads as 9.
    Someone holding only the paper types the code at /verify/."""
    from reviews.letters.services import CODE_ALPHABET

    assert "Q" not in CODE_ALPHABET and not set("01OI") & set(CODE_ALPHABET)
    application = approved()
    [letter] = letters_issue(application_ids=[application.pk])
    code = "ABCD9EFGH9JKLMN9"
    Letter.objects.filter(pk=letter.pk).update(verification_code=code)
    for typed in ("ABCDQEFGHQJKLMNQ", "abcd 9efg-h9jk lmn9"):
        page = client.get(f"/verify/{typed}/")
        assert page.status_code == 200 and "真实有效" in page.content.decode(), typed
    api = client.get("/api/v1/letters/verify/ABCDQEFGHQJKLMNQ/")
    assert api.status_code == 200 and api.json()["number"] == letter.number
    form = client.get("/verify/")
    assert form.status_code == 200 and 'data-testid="verify-form"' in form.content.decode()
    typed = client.get("/verify/", {"code": " abcdqefghqjklmnq "})
    assert typed.status_code == 302 and typed["Location"] == "/verify/abcdqefghqjklmnq/"
    slashed = client.get("/verify/", {"code": "ABCD/9EFG-H9JK/LMN9"})  # no URL holds a "/"
    assert slashed.status_code == 302 and slashed["Location"] == "/verify/ABCD9EFGH9JKLMN9/"


def test_verification_is_rate_limited(client, db):
    statuses = [client.get(f"/verify/GUESS{i:04d}/").status_code for i in range(35)]
    assert statuses[:30] == [404] * 30
    assert statuses[-1] == 429


def test_letter_download_access(approved, demo, client):
    application = approved()
    [letter] = letters_issue(application_ids=[application.pk])
    url = f"/reviews/letters/{letter.pk}/download/"
    client.force_login(demo["weicheng_corp"])
    assert client.get(url).status_code == 404
    client.force_login(demo["qindu_corp"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        "reviews/letters" in client.get(f"/applications/{application.reference}/").content.decode()
    )
    client.force_login(demo["county_weicheng"])
    assert client.get(url).status_code == 404
    client.force_login(demo["county_qindu"])
    assert client.get(url).status_code == 200


def test_zip_of_selection_with_progress(approved, demo, client, django_capture_on_commit_callbacks):
    letters = letters_issue(application_ids=[approved(f"{1000 + i}.00").pk for i in range(3)])
    client.force_login(demo["approver"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reviews/letters/", {"selected": [letter.pk for letter in letters]})
    status_url = response["Location"]
    progress = client.get(status_url + "?format=json").json()
    assert progress["state"] == "done" and progress["percent"] == 100 and progress["ready"]
    download = client.get(status_url + "download/")
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert len(archive.namelist()) == 3
    client.force_login(demo["finance"])
    assert client.get(status_url).status_code == 404  # a job belongs to who asked


@pytest.mark.worker
def test_real_worker_makes_letter_and_enterprise_downloads(
    celery_worker_process, case_factory, demo, client
):
    from reviews.notices import notices_finish_due

    application = case_factory(Status.PUBLIC_NOTICE, approved=Decimal("80000.00"))
    from datetime import date

    from reviews.models import Notice, NoticeEntry

    notice = Notice.objects.create(
        title="t",
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 1, 9),
        working_days=5,
        created_by=demo["approver"],
    )
    NoticeEntry.objects.create(
        notice=notice,
        application=application,
        organisation_name="x",
        measure_title="m",
        clause_title="c",
        amount=Decimal("80000.00"),
    )
    assert notices_finish_due(today=date(2026, 1, 12)) == [application.pk]
    deadline = time.monotonic() + 60
    while (
        not Letter.objects.filter(application=application).exists() and time.monotonic() < deadline
    ):
        time.sleep(0.5)
    letter = Letter.objects.get(application=application)
    assert Application.objects.get(pk=application.pk).status == Status.APPROVED
    client.force_login(demo["qindu_corp"])
    response = client.get(f"/reviews/letters/{letter.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_missing_letters_are_visible_and_can_be_queued_again(
    approved, demo, client, django_capture_on_commit_callbacks
):
    application = approved()
    client.force_login(demo["approver"])
    page = client.get("/reviews/letters/").content.decode()
    assert "missing-letters" in page and application.reference in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/reviews/letters/regenerate/")
    assert Letter.objects.filter(application=application, state="current").count() == 1
    assert "missing-letters" not in client.get("/reviews/letters/").content.decode()


def test_letters_task_goes_to_the_letters_queue(settings):
    from celery.app.routes import Router, prepare

    from xianyang_portal.celery import app

    # Routed by the settings (the worker fixture points the app's cached routes elsewhere).
    router = Router(prepare(settings.CELERY_TASK_ROUTES), app.amqp.queues, app=app)
    assert router.route({}, "reviews.letters.tasks.letters_generate")["queue"].name == "letters"
    assert router.route({}, "reviews.tasks.finish_due_notices")["queue"].name == "default"


def test_a_large_batch_is_split_into_chunk_tasks_with_gap_free_numbers(approved, settings):
    from reviews.letters.tasks import letters_generate

    settings.LETTER_CHUNK = 2
    apps = [approved(f"{20000 + i}.00") for i in range(5)]
    letters_generate.apply(args=[[a.pk for a in apps]]).get()
    assert sorted(Letter.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]
    assert Letter.objects.values("application").distinct().count() == 5


def test_a_failed_render_keeps_its_number_for_the_retry(approved, monkeypatch):
    from reviews.letters import services
    from reviews.models import LetterReservation

    first, second = approved("1000.00"), approved("2000.00")

    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(services, "render_letter_pdfs", broken)
    with pytest.raises(RuntimeError):
        letters_issue(application_ids=[first.pk])
    reserved = LetterReservation.objects.get(application=first)
    assert reserved.sequence == 1 and not Letter.objects.exists()
    monkeypatch.undo()
    [later] = letters_issue(application_ids=[second.pk])  # another application: the next number
    [retried] = letters_issue(application_ids=[first.pk])  # the retry: its reserved number
    assert (retried.sequence, later.sequence) == (1, 2)
    assert retried.verification_code == reserved.verification_code
    assert not LetterReservation.objects.exists()

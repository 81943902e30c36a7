"""Building a batch: what is selected, what is frozen, progress, filters, re-runs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Department, Organisation, Place
from applications.models import Application, Status
from audit.models import AuditEvent
from jobs.models import Job
from payments.models import BatchState, LineState, PaymentLine
from payments.tasks import payment_batch_fill
from reviews.models import Letter


def test_build_selects_payable_applications_and_snapshots_payees(payable, build):
    approved = payable("120000.00")
    failed_before = payable("80000.50", username="weicheng_corp", status=Status.PAYMENT_FAILED)
    not_included = [
        payable(letter=False),  # no letter yet
        payable(status=Status.PAID),
        payable(status=Status.IN_PAYMENT),
        payable(status=Status.APPROVAL),
        payable(status=Status.PUBLIC_NOTICE),
    ]
    outdated = payable("50000.00")
    Letter.objects.filter(application=outdated).update(amount=Decimal("60000.00"))
    superseded = payable()
    Letter.objects.filter(application=superseded).update(state=Letter.State.SUPERSEDED)

    batch = build()

    assert batch.state == BatchState.DRAFT
    lines = {line.application_id: line for line in batch.lines.all()}
    assert set(lines) == {approved.pk, failed_before.pk}
    line = lines[approved.pk]
    org = approved.organisation
    assert (line.payee_name, line.uscc, line.bank_name, line.bank_account) == (
        org.payee_name,
        org.uscc,
        org.bank_name,
        org.bank_account,
    )
    assert line.amount == Decimal("120000.00")
    assert line.letter_number == Letter.objects.get(application=approved).number
    assert line.reference == f"{batch.reference}-{line.number:05d}"
    assert (line.measure_number, line.department_name, line.county_name) == (
        4,
        "市工信局",
        "秦都区",
    )
    assert batch.line_count == 2 and batch.total_amount == Decimal("200000.50")
    for application in (approved, failed_before):
        application.refresh_from_db()
        assert application.status == Status.IN_PAYMENT
    for application in [*not_included, outdated, superseded]:
        assert not PaymentLine.objects.filter(application=application).exists()
    moved = AuditEvent.objects.filter(action="application.add_to_batch")
    assert moved.count() == 2 and batch.reference in moved.first().comment

    # The snapshot stays what it was when the batch was built.
    Organisation.objects.filter(pk=org.pk).update(bank_account="6222000000000000999")
    line.refresh_from_db()
    assert line.bank_account == org.bank_account


def test_build_reports_progress_and_links_back(payable, build, settings):
    for _ in range(5):
        payable()
    batch = build()
    job = Job.objects.get(pk=batch.job_id)
    assert job.state == Job.State.DONE and job.percent == 100
    assert (job.done, job.total) == (5, 5)
    assert job.params["done_url"] == f"/payments/batches/{batch.reference}/"
    assert "5 笔" in job.message


def test_build_in_chunks_and_running_again_changes_nothing(payable, build, monkeypatch):
    monkeypatch.setattr("payments.services.BUILD_CHUNK", 2)
    apps = [payable(f"{1000 + i}.00") for i in range(5)]
    batch = build()
    assert sorted(batch.lines.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert batch.lines.count() == 5
    payment_batch_fill({"batch_id": batch.pk, "job_id": batch.job_id})  # a duplicate delivery
    assert batch.lines.count() == 5
    assert {line.application_id for line in batch.lines.all()} == {a.pk for a in apps}


def test_payee_without_bank_account_is_left_out_and_reported(payable, build):
    payable()
    missing = payable(username="weicheng_corp")
    Organisation.objects.filter(pk=missing.organisation_id).update(bank_account="")
    batch = build()
    assert batch.lines.count() == 1
    assert "1 笔因单位未填写开户银行或银行账号未纳入" in batch.build_message
    missing.refresh_from_db()
    assert missing.status == Status.APPROVED


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"a", "b", "c", "d"}),
        ({"measure": 4}, {"a", "b"}),
        ({"department": "data"}, {"c"}),
        ({"place": "weicheng"}, {"b", "d"}),
        ({"approved_before": -5}, {"a", "c"}),
        ({"place": "qindu", "department": "miit"}, {"a"}),
    ],
)
def test_build_filters(payable, build, open_round_db, filters, expected):
    today = date.today()
    made = {
        "a": payable(issued_on=today - timedelta(days=10)),
        "b": payable(username="weicheng_corp"),
        "c": payable(clause_code="M06-DCMM", issued_on=today - timedelta(days=30)),
        "d": payable(username="weicheng_corp", clause_code="M18-SCALE-INDUSTRIAL"),
    }
    kwargs = {}
    if "measure" in filters:
        kwargs["measure_id"] = open_round_db.policy.measures.get(number=filters["measure"]).pk
    if "department" in filters:
        kwargs["department_id"] = Department.objects.get(code=filters["department"]).pk
    if "place" in filters:
        kwargs["place_id"] = Place.objects.get(code=filters["place"]).pk
    if "approved_before" in filters:
        kwargs["approved_before"] = today + timedelta(days=filters["approved_before"])
    kwargs["round_id"] = open_round_db.pk
    batch = build(**kwargs)
    got = {key for key, app in made.items() if batch.lines.filter(application=app).exists()}
    assert got == expected


def test_only_finance_builds(payable, demo):
    from core.errors import NotAllowed
    from payments.selectors import BuildFilters
    from payments.services import payment_batch_build

    payable()
    for username in ("auditor", "approver", "policy_admin", "qindu_corp"):
        with pytest.raises(NotAllowed):
            payment_batch_build(actor=demo[username], filters=BuildFilters())
    assert not PaymentLine.objects.exists()
    assert Application.objects.filter(status=Status.APPROVED).count() == 1


def test_build_page_redirects_to_progress(
    payable, demo, client, django_capture_on_commit_callbacks
):
    payable()
    client.force_login(demo["finance"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/payments/new/", {"note": "第一批"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="progress-bar"' in page and job.params["done_url"] in page
    batch_page = client.get(job.params["done_url"]).content.decode()
    assert "待锁定" in batch_page and "第一批" in batch_page
    assert PaymentLine.objects.filter(state=LineState.PENDING).count() == 1


def test_queue_down_then_the_sweeper_builds(
    payable, demo, client, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from outbox.models import OutboxMessage
    from outbox.services import outbox_sweep
    from outbox.tasks import outbox_deliver

    payable()
    client.force_login(demo["finance"])

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(outbox_deliver, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/payments/new/", {})
    assert response.status_code == 302  # no 500: the build waits in the outbox
    job = Job.objects.get()
    assert job.state == Job.State.QUEUED
    waiting = OutboxMessage.objects.get(kind="payment_batch_fill")
    assert waiting.state == OutboxMessage.State.PENDING
    batch = job.params["done_url"].rstrip("/").rsplit("/", 1)[-1]
    assert not PaymentLine.objects.filter(batch__reference=batch).exists()
    outbox_sweep()  # the broker is back: beat's sweeper publishes what waited
    assert PaymentLine.objects.filter(batch__reference=batch).count() == 1
    waiting.refresh_from_db()
    assert waiting.state == OutboxMessage.State.DONE and waiting.attempts == 1
    again = client.post(f"/payments/batches/{batch}/resume/", follow=True)
    assert "批次已生成完毕" in again.content.decode()


def test_a_stalled_build_resumes_by_itself(payable, build, monkeypatch):
    from outbox.services import outbox_sweep
    from payments.models import PaymentBatch

    payable()
    monkeypatch.setattr("payments.services.queue_batch_build", lambda *args: None)
    batch = build()  # its worker "died": no lines, the job still queued
    assert batch.lines.count() == 0
    Job.objects.filter(pk=batch.job_id).update(created_at=timezone.now() - timedelta(minutes=16))
    monkeypatch.undo()
    outbox_sweep()
    outbox_sweep()  # a second sweep does not build twice
    batch = PaymentBatch.objects.get(pk=batch.pk)
    assert batch.lines.count() == 1 and batch.state != "building"


def test_build_form_shows_errors_next_to_fields(demo, client, db):
    client.force_login(demo["finance"])
    response = client.post("/payments/new/", {"approved_before": "2025-13-45", "round": "999"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_approved_before-error"' in body and 'id="id_round-error"' in body
    assert not Job.objects.exists()


def test_remove_form_errors_on_the_page(payable, build, demo, client):
    payable()
    batch = build()
    client.force_login(demo["finance"])
    url = f"/payments/batches/{batch.reference}/remove/"
    line = batch.lines.get()
    response = client.post(url, {"lines": [line.pk], "remove-reason": ""})
    assert (
        response.status_code == 400 and 'id="id_remove-reason-error"' in response.content.decode()
    )
    response = client.post(url, {"remove-reason": "暂缓"})
    assert response.status_code == 400 and "请至少选择一笔明细" in response.content.decode()
    # "²" and "１" pass str.isdigit(), and int("²") raised (a 500): not ids.
    response = client.post(url, {"lines": ["²", "１"], "remove-reason": "暂缓"})
    assert response.status_code == 400 and "请至少选择一笔明细" in response.content.decode()
    response = client.post(url, {"lines": [line.pk], "remove-reason": "暂缓"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.state == LineState.REMOVED

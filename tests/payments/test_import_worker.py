"""Large bank-result files (issue 12 item 7): above the threshold the upload is stored and the
batches worker imports it through the outbox, reporting progress on a Job; the page shows a
<progress> bar, then the outcome or every bad row. All or nothing, as for small files.

The thresholds are set small here so four rows count as "large"; the worker runs eagerly
(the outbox row is published on commit and delivered in-process)."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage

from applications.models import Status
from jobs.models import Job
from payments import services
from payments.models import LineState
from payments.services import payment_results_import_run
from tests.helpers import api_as
from tests.payments.test_reconciliation import csv_bytes, good_rows, locked  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings):
    settings.BANK_IMPORT_ASYNC_ROWS = 2
    settings.BANK_IMPORT_ASYNC_BYTES = 1024 * 1024


def _upload(data: bytes, name: str = "结果.csv") -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def _post(client, batch, data, name="结果.csv", capture=None):
    with capture(execute=True):
        return client.post(
            f"/payments/batches/{batch.reference}/import/", {"file": _upload(data, name)}
        )


def _job() -> Job:
    return Job.objects.get(kind="payment_results_import")


def test_a_large_file_runs_through_the_worker_with_progress_and_outcome(
    locked,  # noqa: F811
    demo,
    client,
    small_threshold,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    batch, lines = locked(4)
    reported = []
    real_progress = services.job_progress
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(
        services,
        "job_progress",
        lambda job_id, **kw: (reported.append(kw), real_progress(job_id, **kw))[1],
    )
    client.force_login(demo["finance"])
    response = _post(
        client,
        batch,
        csv_bytes(good_rows(lines, failed=[lines[2]])),
        capture=django_capture_on_commit_callbacks,
    )
    job = _job()
    status_page = f"/payments/batches/{batch.reference}/imports/{job.pk}/"
    assert response.status_code == 302 and response["Location"] == status_page
    # Progress while checking (rows 1..3 of 4), then the apply step, then done at 100 %.
    messages = [kw.get("message", "") for kw in reported]
    assert "已核对 1 / 4 行" in messages and "已核对 3 / 4 行" in messages
    assert any("正在登记结果" in m for m in messages)
    assert job.state == Job.State.DONE and job.percent == 100
    assert job.params["outcome"] == {"rows": 4, "paid": 3, "failed": 1}
    states = dict(batch.lines.values_list("pk", "state"))
    assert [states[line.pk] for line in lines] == ["paid", "paid", "failed", "paid"]
    # The stored upload is removed once imported.
    assert not default_storage.exists(job.params["file"])
    # The page: a <progress> element (no inline script), the outcome; JSON for the poller.
    page = client.get(status_page).content.decode()
    assert '<progress id="bank-import-progress"' in page and 'value="100"' in page
    assert "已导入 4 行：已拨付 3 笔，拨付失败 1 笔。" in page
    assert f"导入银行结果：批次 {batch.reference}" in page and "%(" not in page
    assert "bank-import.js" in page and "<script>" not in page
    status = client.get(status_page + "status/").json()
    assert status["finished"] is True and status["state"] == "done"
    assert status["outcome"] == {"rows": 4, "paid": 3, "failed": 1}
    # Delivered twice (a redelivered outbox row): nothing happens the second time.
    assert payment_results_import_run(job_id=job.pk) == "skipped"
    assert batch.lines.filter(state=LineState.PAID).count() == 3


def test_one_bad_row_in_a_large_file_applies_nothing(
    locked,  # noqa: F811
    demo,
    client,
    small_threshold,
    django_capture_on_commit_callbacks,
):
    batch, lines = locked(4)
    rows = good_rows(lines)
    rows[3][2] = "1.00"  # line 4's amount is 40,000.00
    client.force_login(demo["finance"])
    _post(client, batch, csv_bytes(rows), capture=django_capture_on_commit_callbacks)
    job = _job()
    assert job.state == Job.State.FAILED
    assert "1 行有误（共 4 行），未导入任何结果" in job.message
    assert job.params["problem_count"] == 1
    assert job.params["problems"][0]["row"] == 5  # header is row 1
    assert set(batch.lines.values_list("state", flat=True)) == {LineState.PENDING}
    assert {line.application.status for line in batch.lines.select_related("application")} == {
        Status.IN_PAYMENT
    }
    page = client.get(f"/payments/batches/{batch.reference}/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-problems"' in page and "金额与拨付明细不符" in page


@pytest.mark.parametrize(
    ("name", "data", "text"),
    [
        # UTF-16 without its byte-order mark: neither UTF-8 nor GB18030.
        (
            "结果.csv",
            "明细编号,收款账号,金额,结果\nPB-1,1,1.00,成功\n".encode("utf-16-le"),
            "无法识别文件编码",
        ),
        ("结果.xlsx", b"this is not a spreadsheet at all" * 4, "不是有效的 xlsx 文件"),
    ],
)
def test_wrongly_encoded_or_malformed_large_file_gets_a_clear_chinese_error(
    locked,  # noqa: F811
    demo,
    client,
    settings,
    django_capture_on_commit_callbacks,
    name,
    data,
    text,
):
    settings.BANK_IMPORT_ASYNC_BYTES = 16  # so the file reaches the worker unread
    batch, _lines = locked(2)
    client.force_login(demo["finance"])
    response = _post(client, batch, data, name=name, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    job = _job()
    assert job.state == Job.State.FAILED and text in job.message
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-failed"' in page and text in page
    assert set(batch.lines.values_list("state", flat=True)) == {LineState.PENDING}


def test_the_api_answers_202_and_the_status_endpoint_follows_the_job(
    locked,  # noqa: F811
    demo,
    small_threshold,
    django_capture_on_commit_callbacks,
):
    batch, lines = locked(3)
    client = api_as(demo["finance"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/payments/batches/{batch.reference}/import/",
            {"file": _upload(csv_bytes(good_rows(lines)), "r.csv")},
            format="multipart",
        )
    assert response.status_code == 202
    status_url = response.json()["status_url"]
    body = client.get(status_url).json()
    assert body["state"] == "done" and body["percent"] == 100
    assert body["outcome"] == {"rows": 3, "paid": 3, "failed": 0}
    # Whoever cannot see the batch does not learn the job exists.
    assert api_as(demo["approver"]).get(status_url).status_code == 404
    assert api_as(demo["auditor"]).get(status_url).status_code == 200


def test_a_file_at_the_threshold_is_still_imported_in_the_request(
    locked,  # noqa: F811
    demo,
    client,
    small_threshold,
):
    batch, lines = locked(2)
    client.force_login(demo["finance"])
    response = client.post(
        f"/payments/batches/{batch.reference}/import/",
        {"file": _upload(csv_bytes(good_rows(lines)))},
        follow=True,
    )
    assert "已拨付 2 笔" in response.content.decode()
    assert not Job.objects.filter(kind="payment_results_import").exists()


def test_an_unexpected_fault_says_retrying_then_failed_instead_of_running_for_ever(
    locked,  # noqa: F811
    demo,
    client,
    small_threshold,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """A fault the import does not expect (here the worker's apply step crashing) is retried by
    the outbox with backoff; the job's page says so, and once the attempts are spent it says
    the import failed. Nothing is applied meanwhile (here applying the results crashes)."""
    from outbox import services as outbox_services
    from outbox.models import OutboxMessage

    batch, lines = locked(4)

    def crash(**_kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(services, "_results_apply", crash)
    client.force_login(demo["finance"])
    _post(client, batch, csv_bytes(good_rows(lines)), capture=django_capture_on_commit_callbacks)
    job, row = _job(), OutboxMessage.objects.get(kind="payment_results_import")
    assert row.state == OutboxMessage.State.PENDING and row.attempts == 1
    assert job.state == Job.State.RUNNING and "自动重试（已尝试 1 次）" in job.message
    page = client.get(f"/payments/batches/{batch.reference}/imports/{job.pk}/")
    assert page.status_code == 200 and "自动重试" in page.content.decode()

    for _attempt in range(2, outbox_services.MAX_ATTEMPTS + 1):
        OutboxMessage.objects.filter(pk=row.pk).update(available_at=row.created_at)
        assert outbox_services.outbox_run(message_id=row.pk) == "failed"
    row.refresh_from_db()
    job.refresh_from_db()
    assert row.state == OutboxMessage.State.FAILED
    assert job.state == Job.State.FAILED and "多次自动重试仍未成功" in job.message
    assert {line.state for line in batch.lines.all()} == {LineState.PENDING}

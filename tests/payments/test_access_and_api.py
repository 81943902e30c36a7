"""Who sees batches (pages, exports, API), and the API doing the whole round trip."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from applications.models import Status
from payments.models import BatchState, LineState, PaymentBatch
from payments.services import payment_batch_lock
from tests.helpers import api_as

VIEWERS = {"finance", "auditor"}
OTHERS = ("approver", "policy_admin", "county_qindu", "dept_miit", "qindu_corp")


@pytest.fixture
def batches(payable, build, demo):
    payable()
    locked = build()
    payment_batch_lock(actor=demo["finance_checker"], batch_id=locked.pk)
    payable()
    draft = build(actor=demo["finance_checker"])  # so that `finance` may check and lock it
    return locked, draft


@pytest.mark.parametrize("username", sorted(VIEWERS) + list(OTHERS))
def test_pages_and_exports_by_role(batches, demo, client, username):
    locked, draft = batches
    client.force_login(demo[username])
    sees = username in VIEWERS
    list_page = client.get("/payments/")
    assert list_page.status_code == (200 if sees else 403)
    if sees:
        body = list_page.content.decode()
        assert locked.reference in body and draft.reference in body
        assert ('data-testid="new-batch"' in body) == (username == "finance")
    detail = client.get(f"/payments/batches/{locked.reference}/")
    assert detail.status_code == (200 if sees else 404)
    export = client.get(f"/payments/batches/{locked.reference}/export/xlsx/")
    assert export.status_code == (200 if sees else 404)
    assert client.get("/payments/new/").status_code == (200 if username == "finance" else 403)
    lock = client.post(f"/payments/batches/{draft.reference}/lock/")
    if username == "finance":
        assert lock.status_code == 302
    elif sees:  # the auditor: every write is refused up front (read-only), nothing changes
        assert lock.status_code == 403
        assert "审计员为只读账户" in lock.content.decode()
    else:
        assert lock.status_code == 404
    draft.refresh_from_db()
    assert (draft.state == BatchState.LOCKED) == (username == "finance")
    nav = client.get("/accounts/home/").content.decode()
    assert ('data-nav="payments:batch_list"' in nav) == sees


@pytest.mark.parametrize("username", sorted(VIEWERS) + list(OTHERS))
def test_api_by_role(batches, demo, username):
    locked, draft = batches
    client = api_as(demo[username])
    sees = username in VIEWERS
    listing = client.get("/api/v1/payments/batches/")
    assert listing.status_code == (200 if sees else 403)
    if sees:
        assert {b["reference"] for b in listing.json()["results"]} == {
            locked.reference,
            draft.reference,
        }
    else:
        assert listing.json()["code"] == "permission_denied"
    for url in (
        f"/api/v1/payments/batches/{locked.reference}/",
        f"/api/v1/payments/batches/{locked.reference}/lines/",
        f"/api/v1/payments/batches/{locked.reference}/export/csv/",
    ):
        assert client.get(url).status_code == (200 if sees else 404)
    build = client.post("/api/v1/payments/batches/", {}, format="json")
    # Everything payable is in the two batches already: finance is told so, not given an empty one.
    assert build.status_code == (400 if username == "finance" else 403)
    assert build.json()["code"] == (
        "nothing_payable" if username == "finance" else "permission_denied"
    )
    lock = client.post(f"/api/v1/payments/batches/{draft.reference}/lock/")
    assert lock.status_code == {"finance": 200, "auditor": 403}.get(username, 404)


def test_anonymous_is_sent_to_login_and_api_refuses(batches, client):
    locked, _draft = batches
    assert client.get("/payments/").status_code == 302
    assert client.get(f"/payments/batches/{locked.reference}/").status_code == 302
    assert client.get("/api/v1/payments/batches/").status_code in (401, 403)


def test_dashboard_access(demo, client, db):
    for username, expected in [
        ("finance", 200),
        ("policy_admin", 200),
        ("approver", 200),
        ("auditor", 200),
        ("county_qindu", 403),
        ("dept_miit", 403),
        ("qindu_corp", 403),
    ]:
        client.force_login(demo[username])
        assert client.get("/payments/dashboard/").status_code == expected, username
        assert api_as(demo[username]).get("/api/v1/payments/dashboard/").status_code == expected


def test_api_round_trip(payable, demo, django_capture_on_commit_callbacks):
    first, second, third = payable("1000.00"), payable("2000.00"), payable("3000.00")
    client = api_as(demo["finance"])
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/payments/batches/", {"note": "API"}, format="json")
    assert created.status_code == 202
    reference = created.json()["reference"]
    detail = client.get(f"/api/v1/payments/batches/{reference}/").json()
    assert detail["state"] == BatchState.DRAFT and detail["totals"]["amount"] == "6000.00"
    assert detail["totals"]["amount_in_capitals"] == "人民币陆仟元整"
    lines = client.get(f"/api/v1/payments/batches/{reference}/lines/").json()["results"]
    by_app = {line["application_reference"]: line["reference"] for line in lines}
    base = f"/api/v1/payments/batches/{reference}"

    refused = client.post(
        f"{base}/lines/remove/", {"lines": [by_app[third.reference]]}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    unknown = client.post(
        f"{base}/lines/remove/", {"lines": ["NOPE"], "reason": "x"}, format="json"
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_line"
    removed = client.post(
        f"{base}/lines/remove/",
        {"lines": [by_app[third.reference]], "reason": "暂缓"},
        format="json",
    )
    assert removed.json()["totals"]["amount"] == "3000.00"
    export = client.get(f"{base}/export/xlsx/")
    assert export.status_code == 400 and export.json()["message"].startswith("批次锁定后才能导出")

    assert client.post(f"{base}/lock/").json()["code"] == "maker_is_checker"
    locked = api_as(demo["finance_checker"]).post(f"{base}/lock/")
    assert locked.status_code == 200 and locked.json()["state"] == BatchState.LOCKED
    workbook = load_workbook(io.BytesIO(client.get(f"{base}/export/xlsx/").content))
    assert workbook.sheetnames == ["拨付明细", "汇总"]
    marked = client.post(
        f"{base}/lines/mark/",
        {"lines": [by_app[first.reference]], "result": "paid"},
        format="json",
    )
    assert marked.status_code == 200
    failed = client.post(
        f"{base}/lines/mark/",
        {"lines": [by_app[second.reference]], "result": "failed"},
        format="json",
    )
    assert failed.status_code == 400 and failed.json()["code"] == "reason_required"
    for application, status in (
        (first, Status.PAID),
        (second, Status.IN_PAYMENT),
        (third, Status.APPROVED),
    ):
        application.refresh_from_db()
        assert application.status == status
    by_state = {g["label"]: g["count"] for g in client.get(f"{base}/").json()["totals"]["by_state"]}
    assert by_state == {"待拨付": 1, "已移出": 1, "已拨付": 1}
    assert PaymentBatch.objects.get(reference=reference).lines.filter(
        state=LineState.PAID
    ).get().amount == Decimal("1000.00")
    bad_build = client.post("/api/v1/payments/batches/", {"round": 99999}, format="json")
    assert bad_build.status_code == 400 and bad_build.json()["code"] == "invalid"


def test_lines_with_an_unknown_state_are_a_400(batches, demo):
    locked, _draft = batches
    client = api_as(demo["finance"])
    bad = client.get(f"/api/v1/payments/batches/{locked.reference}/lines/?state=bogus")
    assert bad.status_code == 400 and "state" in bad.json()["detail"]
    good = client.get(f"/api/v1/payments/batches/{locked.reference}/lines/?state=pending")
    assert good.status_code == 200

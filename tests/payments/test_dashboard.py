"""Dashboards: counts and amounts by measure, county, status and round; budget vs paid."""

import io
from decimal import Decimal

from openpyxl import load_workbook

from applications.models import Status
from measures.models import RoundBudget
from payments.models import LineState
from payments.services import payment_batch_lock, payment_lines_mark
from tests.helpers import api_as


def test_dashboard_figures_and_exports(payable, build, demo, client, open_round_db):
    paid_app = payable("100000.00")  # 秦都区, measure 4
    payable("50000.00", username="weicheng_corp")  # 渭城区, measure 4 (in payment)
    payable("30000.00", username="weicheng_corp", clause_code="M06-DCMM")  # measure 6
    payable("7000.00", status=Status.COUNTY_REVIEW, letter=False)  # not awarded
    payable("1.00", status=Status.DRAFT, letter=False)  # drafts are not counted
    batch = build()
    payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    payment_lines_mark(
        actor=demo["finance"],
        batch_id=batch.pk,
        line_ids=[batch.lines.get(application=paid_app).pk],
        result=LineState.PAID,
    )
    measure4 = open_round_db.policy.measures.get(number=4)
    RoundBudget.objects.filter(round=open_round_db, measure=measure4).update(
        committed=Decimal("150000.00")
    )

    client.force_login(demo["approver"])
    page = client.get("/payments/dashboard/")
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("<svg") == 3 and "cdn" not in body.lower()
    assert "第4条" in body and "秦都区" in body

    data = api_as(demo["policy_admin"]).get("/api/v1/payments/dashboard/").json()
    measures = {row["key"]: row for row in data["by_measure"]}
    assert measures[4]["applications"] == 3 and measures[4]["awarded"] == 2
    assert (
        measures[4]["awarded_amount"] == "150000.00" and measures[4]["paid_amount"] == "100000.00"
    )
    assert measures[6]["awarded_amount"] == "30000.00" and measures[6]["paid_amount"] == "0.00"
    counties = {row["label"]: row for row in data["by_county"]}
    assert counties["秦都区"]["paid_amount"] == "100000.00"
    assert counties["渭城区"]["awarded_amount"] == "80000.00"
    statuses = {row["key"]: row["applications"] for row in data["by_status"]}
    assert statuses == {Status.COUNTY_REVIEW: 1, Status.IN_PAYMENT: 2, Status.PAID: 1}
    assert data["total"]["applications"] == 4 and data["total"]["awarded_amount"] == "180000.00"
    assert [row["label"] for row in data["by_round"]] == [open_round_db.name]
    budget = next(b for b in data["budgets"] if b["measure"].startswith("第4条"))
    assert (budget["committed"], budget["paid"]) == ("150000.00", "100000.00")

    workbook = load_workbook(io.BytesIO(client.get("/payments/dashboard/?export=xlsx").content))
    assert workbook.sheetnames == ["按措施", "按县市区及园区", "按申报批次", "按状态", "预算执行"]
    rows = list(workbook["按措施"].iter_rows(values_only=True))
    assert rows[0][:3] == ("项目", "申报数", "核定数")
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][4])) == Decimal("100000.00")
    single = load_workbook(
        io.BytesIO(client.get("/payments/dashboard/?export=xlsx&table=by_county").content)
    )
    assert single.sheetnames == ["按县市区及园区"]
    # A round filter narrows everything; a bad one is ignored with a message.
    assert (
        api_as(demo["finance"])
        .get("/api/v1/payments/dashboard/?round=999999")
        .json()["total"]["applications"]
        == 0
    )
    assert client.get("/payments/dashboard/?round=abc").status_code == 200


def test_cached_dashboard_follows_moves_and_budgets(payable, build, demo, client, open_round_db):
    """The figures are cached per summaries version: each move through the lifecycle engine
    and each budget change must show on the very next read (the values are the hand-counted
    state after each step)."""
    from measures.services import budget_commit

    paid_app = payable("100000.00")
    payable("7000.00", status=Status.COUNTY_REVIEW, letter=False)
    measure4 = open_round_db.policy.measures.get(number=4)
    api = api_as(demo["policy_admin"])

    def figures():
        data = api.get("/api/v1/payments/dashboard/").json()
        statuses = {row["key"]: row["applications"] for row in data["by_status"]}
        budget = next(b for b in data["budgets"] if b["measure"].startswith("第4条"))
        return statuses, data["total"]["paid_amount"], budget["committed"]

    client.force_login(demo["approver"])
    assert client.get("/payments/dashboard/").status_code == 200  # fills the cache
    committed = Decimal(figures()[2])
    assert figures()[:2] == ({Status.APPROVED: 1, Status.COUNTY_REVIEW: 1}, "0.00")

    batch = build()  # approved -> in payment, through the engine
    assert figures()[:2] == ({Status.IN_PAYMENT: 1, Status.COUNTY_REVIEW: 1}, "0.00")
    payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    payment_lines_mark(
        actor=demo["finance"],
        batch_id=batch.pk,
        line_ids=[batch.lines.get(application=paid_app).pk],
        result=LineState.PAID,
    )
    assert figures()[:2] == ({Status.PAID: 1, Status.COUNTY_REVIEW: 1}, "100000.00")

    budget_commit(round_id=open_round_db.pk, measure_id=measure4.pk, amount=Decimal("2500.00"))
    assert Decimal(figures()[2]) == committed + Decimal("2500.00")
    body = client.get("/payments/dashboard/").content.decode()
    # The page's cached markup (filled before any of these moves) shows the payment at once.
    assert 'data-testid="paid-total">¥100,000.00</div>' in body

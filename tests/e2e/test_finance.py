"""Browser: finance builds a batch and watches its progress, confirms a changed bank account;
another finance officer checks and locks it (the maker cannot), downloads the xlsx, imports the bank's result; the enterprise sees 已拨付 / 拨付失败."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.models import Organisation
from tests.helpers import login, logout
from tests.payments.conftest import payable  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_finance_pays_a_batch_and_the_enterprise_sees_it(page, demo, payable, tmp_path):  # noqa: F811
    paid = [payable("200000.00"), payable("150000.50")]  # 咸阳秦都精密制造有限公司
    failed = payable("80000.00", username="weicheng_corp")
    # 渭城 changed its bank account after the award: the batch flags it for confirmation.
    Organisation.objects.filter(pk=failed.organisation_id).update(
        bank_account_updated_at=timezone.now() + timedelta(minutes=1)
    )
    page.on("dialog", lambda dialog: dialog.accept())

    login(page, "finance")
    page.click("[data-nav='payments:batch_list']")
    page.click("[data-testid=new-batch]")
    page.fill("#id_note", "2025年第一批奖励资金")
    page.click("button:has-text('生成拨付批次')")
    page.wait_for_url("**/jobs/*/")
    bar = page.locator("[data-testid=progress-bar]")
    # A locator expectation, not wait_for_function: the CSP forbids evaluating strings.
    expect(bar).to_have_text("100%")
    assert bar.get_attribute("style").replace(" ", "").rstrip(";") == "width:100%"
    assert "已生成 3 笔拨付明细" in page.inner_text("[data-testid=job-message]")
    page.click("#job-continue")
    page.wait_for_url("**/payments/batches/*/")

    reference = page.inner_text("[data-testid=batch-reference]")
    assert page.inner_text("[data-testid=batch-state]") == "待锁定"
    assert "¥430,000.50" in page.inner_text("[data-testid=grand-figures]")
    assert page.inner_text("[data-testid=grand-capitals]") == "人民币肆拾叁万元伍角"

    # 复核: the officer who built the batch is not offered the lock (the service refuses it
    # too, tested in tests/payments); a second finance officer locks it.
    assert page.locator("[data-testid=lock]").count() == 0
    assert "经办人不能复核自己生成的批次" in page.inner_text("[data-testid=batch-actions]")
    logout(page)
    login(page, "finance_checker")
    page.goto(f"/payments/batches/{reference}/")
    # Locking waits for the changed account to be confirmed.
    page.click("[data-testid=lock]")
    assert "收款账户在批准后变更过" in page.inner_text(".alert-danger")
    page.locator("[data-testid=bank-changes] input[type=checkbox]").check()
    page.click("[data-testid=confirm-bank]")
    assert "已确认 1 笔" in page.inner_text(".alert-success")
    page.click("[data-testid=lock]")
    assert page.inner_text("[data-testid=batch-state]") == "已锁定"

    with page.expect_download() as download_info:
        page.click("[data-testid=export-xlsx]")
    download = download_info.value
    assert download.suggested_filename == f"拨付明细-{reference}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved)["拨付明细"]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "序号")
    lines = rows[header_at + 1 : -1]
    assert len(lines) == 3
    assert sum(Decimal(str(row[6])) for row in lines) == Decimal("430000.50")

    # The bank answers: 渭城's new account was refused.
    weicheng = Organisation.objects.get(pk=failed.organisation_id).legal_name
    result = tmp_path / "银行代发结果.csv"
    result.write_text(
        "明细编号,收款账号,金额,结果,原因\n"
        + "".join(
            f"{row[1]},{row[5]},{row[6]},{'失败' if row[2] == weicheng else '成功'},"
            f"{'户名与账号不符' if row[2] == weicheng else ''}\n"
            for row in lines
        ),
        encoding="utf-8-sig",
    )
    page.set_input_files("#id_file", str(result))
    page.click("button:has-text('校验并导入')")
    assert "已拨付 2 笔，拨付失败 1 笔" in page.inner_text(".alert-success")
    states = page.locator("[data-testid=line-state]").all_inner_texts()
    assert sorted(states) == ["已拨付", "已拨付", "拨付失败"]
    logout(page)

    login(page, "qindu_corp")
    page.click("[data-nav='applications:dashboard']")
    for application in paid:
        row = page.locator(f"tr[data-reference='{application.reference}']")
        assert row.locator("[data-testid=status]").inner_text() == "已拨付"
    page.click(f"a:has-text('{paid[0].reference}')")
    assert page.inner_text("[data-testid=status]") == "已拨付"
    assert "资金已拨付" in page.inner_text("[data-testid=next-step]")
    logout(page)

    login(page, "weicheng_corp")
    page.goto(f"/applications/{failed.reference}/")
    assert page.inner_text("[data-testid=status]") == "拨付失败"

"""Exports parsed back: headers, every amount, capitals, the BOM; totals per grouping."""

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import Organisation
from core.money import amount_in_capitals
from payments.exports import LIST_HEADERS
from payments.models import LineState
from payments.selectors import batch_totals
from payments.services import payment_batch_lock, payment_lines_remove

AMOUNTS = {
    # (username, clause): amounts
    ("qindu_corp", "M04-SMART-FACTORY"): ["200000.00", "150000.50"],
    ("weicheng_corp", "M04-SMART-FACTORY"): ["80000.00"],
    ("weicheng_corp", "M06-DCMM"): ["100000.00", "0.01"],
    ("xingping_corp", "M19-INVESTMENT-ATTRACTION"): ["1234567.89"],
    ("qindu_corp", "M18-SCALE-SOFTWARE-IT"): ["200000.00"],
}


@pytest.fixture
def locked_batch(payable, build, demo):
    for (username, clause), amounts in AMOUNTS.items():
        for amount in amounts:
            payable(amount, username=username, clause_code=clause)
    removed = payable("999.00")
    batch = build()
    payment_lines_remove(
        actor=demo["finance"],
        batch_id=batch.pk,
        line_ids=[batch.lines.get(application=removed).pk],
        reason="资料待核",
    )
    payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def test_totals_add_up_per_grouping(locked_batch):
    totals = batch_totals(locked_batch)
    lines = list(locked_batch.lines.exclude(state=LineState.REMOVED))
    expected_total = sum((Decimal(a) for amounts in AMOUNTS.values() for a in amounts), Decimal(0))
    assert totals.amount == expected_total == sum(line.amount for line in lines)
    assert totals.count == len(lines) == 7
    for groups, key in (
        (totals.by_measure, lambda line: f"第{line.measure_number}条 {line.measure_title}"),
        (totals.by_department, lambda line: line.department_name),
        (totals.by_county, lambda line: line.county_name),
    ):
        manual = defaultdict(Decimal)
        for line in lines:
            manual[key(line)] += line.amount
        assert {g.label: g.amount for g in groups} == dict(manual)
        assert sum(g.amount for g in groups) == totals.amount
        assert sum(g.count for g in groups) == totals.count
    assert {g.label: g.amount for g in totals.by_department} == {
        "市工信局": Decimal("430000.50"),
        "市数据局": Decimal("300000.01"),
        "市招商局": Decimal("1234567.89"),
    }
    assert locked_batch.total_amount == totals.amount


def _xlsx(client, batch):
    response = client.get(f"/payments/batches/{batch.reference}/export/xlsx/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def test_xlsx_payment_list(locked_batch, client, demo):
    client.force_login(demo["finance"])
    workbook = _xlsx(client, locked_batch)
    sheet = workbook["拨付明细"]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "序号")
    assert tuple(rows[header_at][: len(LIST_HEADERS)]) == LIST_HEADERS
    assert sheet.freeze_panes == f"A{header_at + 2}"
    assert sheet.column_dimensions["C"].width >= 30  # payee names are long
    total = locked_batch.total_amount
    block = " ".join(str(v) for row in rows[:header_at] for v in row if v is not None)
    assert locked_batch.reference in block
    assert f"¥{total:,.2f}" in block and amount_in_capitals(total) in block
    data = rows[header_at + 1 : -1]
    lines = {line.reference: line for line in locked_batch.lines.exclude(state=LineState.REMOVED)}
    assert len(data) == len(lines)
    col = {name: LIST_HEADERS.index(name) for name in LIST_HEADERS}
    for row in data:
        line = lines[row[col["明细编号"]]]
        assert Decimal(str(row[col["金额（元）"]])) == line.amount
        assert row[col["金额大写"]] == amount_in_capitals(line.amount)
        assert row[col["核定通知书文号"]] == line.letter_number
        assert row[col["银行账号"]] == line.bank_account  # text, not a mangled number
        assert row[col["收款户名"]] == line.payee_name
        assert row[col["统一社会信用代码"]] == line.uscc
    assert sum(Decimal(str(row[col["金额（元）"]])) for row in data) == total
    total_row = rows[-1]
    assert Decimal(str(total_row[col["金额（元）"]])) == total
    assert total_row[col["金额大写"]] == amount_in_capitals(total)
    assert "0.01" in {f"{line.amount}" for line in lines.values()}
    assert amount_in_capitals(Decimal("0.01")) == "人民币壹分"

    summary = list(workbook["汇总"].iter_rows(values_only=True))
    by_group = defaultdict(Decimal)
    assert workbook["汇总"].freeze_panes == "A2"
    for row in summary[1:-1]:
        by_group[row[0]] += Decimal(str(row[3]))
    assert set(by_group.values()) == {total}  # each grouping adds up to the grand total


def test_csv_payment_list_has_bom_and_every_amount(locked_batch, client, demo):
    client.force_login(demo["auditor"])  # read-only may export
    response = client.get(f"/payments/batches/{locked_batch.reference}/export/csv/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")
    assert text[0] == "\ufeff"
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert tuple(rows[0]) == LIST_HEADERS
    lines = {line.reference: line for line in locked_batch.lines.exclude(state=LineState.REMOVED)}
    assert len(rows) - 1 == len(lines)
    for row in rows[1:]:
        line = lines[row[1]]
        assert row[6] == f"{line.amount:.2f}"
        assert row[7] == amount_in_capitals(line.amount)
        # The auditor's copy is masked (finance's has the digits: tests/security).
        account = line.bank_account
        assert row[5] == f"{account[:4]} **** **** {account[-4:]}"
        assert row[11] == line.letter_number
    assert "资料待核" not in text  # removed lines are not on the list


def test_formula_like_payee_names_are_neutralised(payable, build, demo, client):
    application = payable()
    Organisation.objects.filter(pk=application.organisation_id).update(
        payee_name='=HYPERLINK("http://evil.example","点我")'
    )
    batch = build()
    payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    client.force_login(demo["finance"])
    sheet = _xlsx(client, batch)["拨付明细"]
    # In xlsx the bank reads the name as typed: a quote-prefixed string cell, not a formula
    # and not "'=HYPERLINK…" with an apostrophe that was never part of the name.
    typed = '=HYPERLINK("http://evil.example","点我")'
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == typed)
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
    assert not any(
        c.data_type == "f" or str(c.value).startswith("'=")
        for row in sheet.iter_rows()
        for c in row
    )
    body = b"".join(
        client.get(f"/payments/batches/{batch.reference}/export/csv/").streaming_content
    ).decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_summary_pdf(locked_batch, client, demo):
    client.force_login(demo["finance"])
    response = client.get(f"/payments/batches/{locked_batch.reference}/export/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")
    total = locked_batch.total_amount
    assert locked_batch.reference in text
    assert f"¥{total:,.2f}" in text and amount_in_capitals(total) in text
    for label in ("经办人", "复核人", "负责人", "市数据局", "兴平市", "第19条"):
        assert label in text
    # Every amount as the page shows it (the raw Decimal printed as 298765.430000000 on SQLite).
    assert "¥1,234,567.89" in text and "¥300,000.01" in text and "1234567.89" not in text


def test_exports_of_an_unlocked_batch_are_refused(payable, build, demo, client):
    payable()
    batch = build()
    client.force_login(demo["finance"])
    for fmt in ("xlsx", "csv", "pdf"):
        response = client.get(f"/payments/batches/{batch.reference}/export/{fmt}/", follow=True)
        assert response.redirect_chain[-1][0] == f"/payments/batches/{batch.reference}/"
        assert "批次锁定后才能导出拨付清单" in response.content.decode()
    api = client.get(f"/api/v1/payments/batches/{batch.reference}/export/xlsx/")
    assert api.status_code == 400 and api.json()["code"] == "batch_not_locked"
    assert client.get(f"/payments/batches/{batch.reference}/export/doc/").status_code == 404


def test_bank_result_template_has_the_export_columns_and_imports_as_is(locked_batch, client, demo):
    from openpyxl import load_workbook

    from payments.bankfile import read_bank_file

    client.force_login(demo["finance"])
    response = client.get(f"/payments/batches/{locked_batch.reference}/export/result-template/")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 1  # the upload takes one data sheet
    rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r[0] == "序号")
    expected = [h if h != "状态" else "明细状态" for h in LIST_HEADERS] + ["结果", "原因"]
    assert rows[header] == expected
    lines = locked_batch.lines.exclude(state=LineState.REMOVED)
    assert len(rows) - header - 1 == lines.count()
    for row in rows[header + 1 :]:
        row[-2] = "成功"
    filled = type(workbook)()
    sheet = filled.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    filled.save(out)
    parsed = read_bank_file(name="回单.xlsx", data=out.getvalue())
    assert {(r.reference, r.account, r.result) for r in parsed} == {
        (line.reference, line.bank_account, "成功") for line in lines
    }


def test_bank_file_reader_unwraps_excel_text_formulas():
    # A bank or officer may save account numbers as ="…" (Excel's way of keeping text).
    from payments.bankfile import excel_text_value

    assert excel_text_value('="6222024100123456789"') == "6222024100123456789"


def test_official_exports_are_in_chinese_whatever_the_page_language(locked_batch, client, demo):
    """The payment list, the bank template and the batch summary go to the treasury and the
    bank: an officer reading the portal in English still gets them wholly in Chinese."""
    client.force_login(demo["finance"])
    client.cookies["django_language"] = "en"
    page = client.get(f"/payments/batches/{locked_batch.reference}/").content.decode()
    assert "Locked" in page  # the page itself is in English
    base = f"/payments/batches/{locked_batch.reference}/export"

    workbook = _xlsx(client, locked_batch)
    assert workbook.sheetnames[0] == "拨付明细"
    cells = [c for row in workbook["拨付明细"].iter_rows(values_only=True) for c in row if c]
    assert "已锁定" in cells and "待拨付" in cells
    assert not {"Locked", "Pending payment", "Status"} & set(cells)

    body = b"".join(client.get(f"{base}/csv/").streaming_content).decode("utf-8")
    assert "待拨付" in body and "Pending payment" not in body

    template = load_workbook(io.BytesIO(client.get(f"{base}/result-template/").content))
    values = {c for row in template.worksheets[0].iter_rows(values_only=True) for c in row if c}
    assert "待拨付" in values and "Pending payment" not in values

    reader = PdfReader(io.BytesIO(client.get(f"{base}/pdf/").content))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    assert "已锁定" in text and "按措施" in text
    assert "Locked" not in text and "Bymeasure" not in text

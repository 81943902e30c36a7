"""Recording results: by hand, in bulk, and from the bank's result file (nothing half-applied)."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from applications.models import Status
from audit.models import AuditEvent
from core.errors import DomainError
from payments.bankfile import MAX_BYTES, MAX_ROWS
from payments.exports import payment_list_csv
from payments.models import LineState, PaymentLine
from payments.services import payment_batch_lock, payment_results_import
from tests.helpers import api_as

HEADER = ["明细编号", "收款账号", "金额", "结果", "原因"]


@pytest.fixture
def locked(payable, build, demo):
    def make(n=4):
        for i in range(n):
            payable(f"{10000 * (i + 1)}.00", username=("qindu_corp", "weicheng_corp")[i % 2])
        batch = build()
        payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
        batch.refresh_from_db()
        return batch, list(batch.lines.order_by("number"))

    return make


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig", delimiter=","):
    lines = [delimiter.join(header)] + [delimiter.join(str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=HEADER, extra_sheets=None, title_rows=()):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "代发结果"
    for row in title_rows:
        sheet.append(list(row))
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    for name, content in (extra_sheets or {}).items():
        extra = workbook.create_sheet(name)
        for row in content:
            extra.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_rows(lines, failed=()):
    return [
        [
            line.reference,
            line.bank_account,
            f"{line.amount:.2f}",
            "失败" if line in failed else "成功",
            "账户已销户" if line in failed else "",
        ]
        for line in lines
    ]


def _import(demo, batch, data, name="result.csv"):
    return payment_results_import(
        actor=demo["finance"], batch_id=batch.pk, file_name=name, data=data
    )


def test_good_csv_applies_paid_and_failed(locked, demo):
    batch, lines = locked(4)
    outcome = _import(demo, batch, csv_bytes(good_rows(lines, failed=[lines[1]])))
    assert (outcome.rows, outcome.paid, outcome.failed) == (4, 3, 1)
    states = dict(batch.lines.values_list("reference", "state"))
    assert states[lines[1].reference] == LineState.FAILED
    assert [s for r, s in states.items() if r != lines[1].reference] == [LineState.PAID] * 3
    failed = PaymentLine.objects.get(pk=lines[1].pk)
    assert failed.reason == "账户已销户"
    assert failed.application.status == Status.PAYMENT_FAILED
    assert PaymentLine.objects.get(pk=lines[0].pk).application.status == Status.PAID
    assert AuditEvent.objects.filter(action="payment_batch.results").count() == 1


def test_good_xlsx_with_title_rows_numbers_and_an_empty_extra_sheet(locked, demo):
    batch, lines = locked(3)
    header = ["Line reference", "Account", "Amount", "Result", "Reason"]
    title = [["中国工商银行咸阳分行 代发结果"], []]
    # A 19-digit account typed as a number loses digits in Excel: refused, with the reason.
    as_numbers = [
        [line.reference, int(line.bank_account), float(line.amount), "success", ""]
        for line in lines
    ]
    with pytest.raises(DomainError) as info:
        _import(demo, batch, xlsx_bytes(as_numbers, header=header), name="结果.xlsx")
    assert "请设为文本格式" in info.value.detail["rows"][0]["message"]

    rows = [
        [line.reference, line.bank_account, float(line.amount), "success", ""] for line in lines
    ]
    data = xlsx_bytes(rows, header=header, title_rows=title, extra_sheets={"Sheet2": []})
    outcome = _import(demo, batch, data, name="结果.xlsx")
    assert outcome.paid == 3
    assert set(batch.lines.values_list("state", flat=True)) == {LineState.PAID}


def test_gb18030_csv_with_tabs(locked, demo):
    batch, lines = locked(2)
    data = csv_bytes(good_rows(lines, failed=[lines[0]]), encoding="gb18030", delimiter="\t")
    outcome = _import(demo, batch, data)
    assert (outcome.paid, outcome.failed) == (1, 1)
    assert PaymentLine.objects.get(pk=lines[0].pk).reason == "账户已销户"


def test_good_and_bad_rows_report_every_bad_row_and_apply_nothing(locked, payable, build, demo):
    batch, lines = locked(4)
    other_app = payable("5.00")
    other = build().lines.get(application=other_app)
    rows = [
        good_rows([lines[0]])[0],  # row 2: fine
        [lines[1].reference, lines[1].bank_account, "99999.00", "成功", ""],  # 3 wrong amount
        [lines[2].reference, "6222000000000000000", f"{lines[2].amount}", "成功", ""],  # 4 account
        ["PB20990101-9999-00001", "1", "1.00", "成功", ""],  # 5 unknown
        good_rows([lines[0]])[0],  # 6 duplicate of row 2
        [lines[3].reference, lines[3].bank_account, "一万元", "成功", ""],  # 7 malformed amount
        [lines[3].reference.lower(), lines[3].bank_account, f"{lines[3].amount}", "maybe", ""],
        ["", lines[3].bank_account, "1.00", "成功", ""],  # 9 missing reference
        [other.reference, other.bank_account, "5.00", "成功", ""],  # 10 another batch
    ]
    with pytest.raises(DomainError) as info:
        _import(demo, batch, csv_bytes(rows))
    error = info.value
    assert error.code == "import_rejected" and "未导入任何结果" in error.message
    problems = {p["row"]: p["message"] for p in error.detail["rows"]}
    assert set(problems) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "金额与拨付明细不符" in problems[3]
    assert "收款账号与拨付明细不符" in problems[4]
    assert "找不到该明细编号" in problems[5]
    assert "重复" in problems[6] and "第 2 行" in problems[6]
    assert "金额“一万元”无效" in problems[7]
    assert "无法识别" in problems[8]
    assert "缺少明细编号" in problems[9]
    assert "不属于本批次" in problems[10]
    assert set(PaymentLine.objects.values_list("state", flat=True)) == {LineState.PENDING}
    assert not AuditEvent.objects.filter(
        action__in=["application.mark_paid", "application.mark_failed"]
    ).exists()


def test_a_line_already_paid_is_a_bad_row(locked, demo):
    batch, lines = locked(2)
    _import(demo, batch, csv_bytes(good_rows(lines[:1])))
    with pytest.raises(DomainError) as info:
        _import(demo, batch, csv_bytes(good_rows(lines)))  # the bank's full file, again
    [problem] = info.value.detail["rows"]
    assert problem["row"] == 2 and "已登记为“已拨付”" in problem["message"]
    assert PaymentLine.objects.get(pk=lines[1].pk).state == LineState.PENDING


@pytest.mark.parametrize(
    ("name", "data", "code", "text"),
    [
        (
            "r.csv",
            b"\xef\xbb\xbf" + "参考号,金额\r\nx,1\r\n".encode(),
            "missing_columns",
            "收款账号、结果",
        ),
        (
            "r.csv",
            "明细编号,收款账号,金额,结果\r\n".encode() + b"\xff\x80\xff,1,1,\x80\r\n",
            "bad_encoding",
            "编码",
        ),
        ("r.csv", b"", "empty_file", "空"),
        ("r.csv", "明细编号,收款账号,金额,结果\r\n".encode(), "empty_file", "没有数据行"),
        (
            "r.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "unsupported_format",
            ".xls",
        ),
        ("回单.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "unsupported_format", "CSV 或 xlsx"),
        ("r.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "unsupported_format", "CSV 或 xlsx"),
        ("r.xlsx", b"not a zip at all", "unreadable_file", "xlsx"),
        ("r.xlsx", b"PK\x03\x04broken", "unreadable_file", "无法读取"),
        ("r.csv", b"a" * (MAX_BYTES + 1), "file_too_large", "5 MB"),
    ],
)
def test_malformed_files_get_a_clear_message(locked, demo, name, data, code, text):
    batch, _lines = locked(1)
    with pytest.raises(DomainError) as info:
        _import(demo, batch, data, name=name)
    assert info.value.code == code and text in info.value.message
    assert set(PaymentLine.objects.values_list("state", flat=True)) == {LineState.PENDING}


def test_extra_sheet_with_data_is_refused(locked, demo):
    batch, lines = locked(1)
    data = xlsx_bytes(good_rows(lines), extra_sheets={"明细2": [["明细编号"], ["x"]]})
    with pytest.raises(DomainError) as info:
        _import(demo, batch, data, name="r.xlsx")
    assert info.value.code == "extra_sheets" and "明细2" in info.value.message


def test_too_many_rows(locked, demo):
    batch, lines = locked(1)
    rows = good_rows(lines) * (MAX_ROWS + 1)
    with pytest.raises(DomainError) as info:
        _import(demo, batch, csv_bytes(rows))
    assert info.value.code == "too_many_rows"


def test_import_into_a_draft_batch_is_refused(payable, build, demo):
    payable()
    batch = build()
    line = batch.lines.get()
    with pytest.raises(DomainError, match="锁定后才能导入"):
        _import(demo, batch, csv_bytes(good_rows([line])))


def test_import_page_shows_bad_rows(locked, demo, client):
    batch, lines = locked(2)
    client.force_login(demo["finance"])
    rows = good_rows(lines)
    rows[1][2] = "1.00"
    upload = io.BytesIO(csv_bytes(rows))
    upload.name = "结果.csv"
    response = client.post(f"/payments/batches/{batch.reference}/import/", {"file": upload})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="import-problems"' in page and "金额与拨付明细不符" in page
    assert "未导入任何结果" in page
    upload = io.BytesIO(csv_bytes(good_rows(lines)))
    upload.name = "结果.csv"
    response = client.post(
        f"/payments/batches/{batch.reference}/import/", {"file": upload}, follow=True
    )
    assert "已拨付 2 笔" in response.content.decode()


def test_import_api_reports_rows_in_the_error_format(locked, demo):
    batch, lines = locked(2)
    rows = good_rows(lines)
    rows[0][1] = "123"
    upload = io.BytesIO(csv_bytes(rows))
    upload.name = "r.csv"
    client = api_as(demo["finance"])
    url = f"/api/v1/payments/batches/{batch.reference}/import/"
    response = client.post(url, {"file": upload}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_rejected"
    assert body["detail"]["rows"][0]["row"] == 2
    upload = io.BytesIO(csv_bytes(good_rows(lines)))
    upload.name = "r.csv"
    response = client.post(url, {"file": upload}, format="multipart")
    assert response.status_code == 200 and response.json()["result"]["paid"] == 2
    # The auditor may not import.
    upload.seek(0)
    assert (
        api_as(demo["auditor"]).post(url, {"file": upload}, format="multipart").status_code == 403
    )


def test_bulk_mark_on_the_page(locked, demo, client):
    batch, lines = locked(3)
    client.force_login(demo["finance"])
    url = f"/payments/batches/{batch.reference}/mark/"
    response = client.post(url, {"lines": [lines[0].pk, lines[1].pk], "mark-result": "failed"})
    assert response.status_code == 400 and "须填写失败原因" in response.content.decode()
    response = client.post(
        url,
        {"lines": [lines[0].pk, lines[1].pk], "mark-result": "failed", "mark-reason": "账号冻结"},
    )
    assert response.status_code == 302
    response = client.post(url, {"lines": [lines[2].pk], "mark-result": "paid"})
    assert response.status_code == 302
    states = list(batch.lines.order_by("number").values_list("state", "reason"))
    assert states == [("failed", "账号冻结"), ("failed", "账号冻结"), ("paid", "")]
    assert sum(line.amount for line in lines) == Decimal("60000.00")


def test_an_empty_result_is_named_as_missing(locked, demo):
    batch, lines = locked(1)
    row = [lines[0].reference, lines[0].bank_account, f"{lines[0].amount}", "", ""]
    with pytest.raises(DomainError) as info:
        _import(demo, batch, csv_bytes([row]))
    problems = {p["row"]: p["message"] for p in info.value.detail["rows"]}
    assert problems == {2: "未填写结果，应为“成功”或“失败”"}


def test_a_failure_without_its_reason_is_a_bad_row(locked, demo):
    """The template says 失败时"原因"必填: the enterprise acts on the reason (a wrong account)."""
    batch, lines = locked(2)
    rows = good_rows(lines)
    rows[1][3:5] = ["退票", "  "]
    with pytest.raises(DomainError) as info:
        _import(demo, batch, csv_bytes(rows))
    problems = {p["row"]: p["message"] for p in info.value.detail["rows"]}
    assert problems == {3: "结果为“失败”时须填写原因（如账号有误、户名不符）"}
    assert set(batch.lines.values_list("state", flat=True)) == {LineState.PENDING}


def test_the_payment_list_itself_comes_back_with_results_added(locked, demo):
    """A bank fills 结果 and 原因 into our own CSV payment list: its 状态 column (待拨付) is
    the line's state, not the result; the more specific 结果 header wins."""
    batch, _lines = locked(3)
    exported = "".join(payment_list_csv(batch, full_accounts=True)).lstrip("\ufeff")
    table = list(csv.reader(io.StringIO(exported)))
    header_at = next(i for i, row in enumerate(table) if "明细编号" in row)
    assert "状态" in table[header_at]
    filled = [*table[:header_at], [*table[header_at], "结果", "原因"]]
    for row in table[header_at + 1 :]:
        filled.append([*row, "成功", ""] if row and row[0].isdigit() else row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(filled)
    outcome = _import(demo, batch, buffer.getvalue().encode("utf-8-sig"))
    assert (outcome.rows, outcome.paid, outcome.failed) == (3, 3, 0)
    assert set(batch.lines.values_list("state", flat=True)) == {LineState.PAID}

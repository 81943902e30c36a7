"""Payment list (xlsx, CSV), batch summary (PDF) and dashboard/batch-list workbooks.

The callers pass batches that came through `batches_visible_to` and, for payment lists,
through `payment_batch_export_record` (locked batches only, audited). Rows stream from the
database in chunks and openpyxl writes in write-only mode, so 10,000 lines stay cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from core.crypto import mask_account
from core.exports import OFFICIAL_LANGUAGE, csv_rows, new_workbook, official, write_sheet
from core.money import amount_in_capitals, format_yuan
from core.pdf import pdf_stylesheet

from .models import LISTED_LINE_STATES, LineState, PaymentBatch, PaymentLine
from .selectors import BatchTotals, Dashboard, batch_totals

AMOUNT_FORMAT = "#,##0.00"
LIST_HEADERS = (
    "序号",
    "明细编号",
    "收款户名",
    "统一社会信用代码",
    "开户银行",
    "银行账号",
    "金额（元）",
    "金额大写",
    "措施",
    "责任部门",
    "县市区/园区",
    "核定通知书文号",
    "申报编号",
    "状态",
)
LIST_WIDTHS = (6, 24, 36, 22, 28, 24, 16, 34, 30, 14, 14, 24, 16, 10)
AMOUNT_COLUMN = LIST_HEADERS.index("金额（元）")
ACCOUNT_COLUMN = LIST_HEADERS.index("银行账号")
USCC_COLUMN = LIST_HEADERS.index("统一社会信用代码")
RESULT_HEADERS = ("结果", "原因")
_FIELDS = (
    "number",
    "reference",
    "payee_name",
    "uscc",
    "bank_name",
    "bank_account",
    "amount",
    "measure_number",
    "measure_title",
    "department_name",
    "county_name",
    "letter_number",
    "application_reference",
    "state",
)
_STATE_LABELS = dict(LineState.choices)


# The payment list, the bank template and the batch summary go to the treasury and the bank
# as official papers (core.exports.official): always in Chinese, whatever language the
# officer's pages are in. (The dashboards' and batch lists' workbooks follow the page.)


def capitals(amount: Decimal) -> str:
    return amount_in_capitals(amount)


def _list_rows(batch: PaymentBatch, *, full_accounts: bool) -> Iterator[list[Any]]:
    lines = (
        PaymentLine.objects.filter(batch=batch, state__in=LISTED_LINE_STATES)
        .order_by("number")
        .values_list(*_FIELDS)
    )
    with translation.override(OFFICIAL_LANGUAGE):  # translated once (rows may stream later)
        labels = {state: str(label) for state, label in _STATE_LABELS.items()}
    for (
        number,
        reference,
        payee,
        uscc,
        bank,
        account,
        amount,
        measure_number,
        measure_title,
        department,
        county,
        letter,
        application,
        state,
    ) in lines.iterator(chunk_size=2000):
        yield [
            number,
            reference,
            payee,
            uscc,
            bank,
            account if full_accounts else mask_account(account),
            amount,
            capitals(amount),
            f"第{measure_number}条 {measure_title}",
            department,
            county,
            letter,
            application,
            labels[state],
        ]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@official
def payment_list_workbook(
    batch: PaymentBatch, totals: BatchTotals | None = None, *, full_accounts: bool = False
) -> Workbook:
    """拨付明细表: a header block with the grand total, the lines, a total row; a totals sheet."""
    totals = totals or batch_totals(batch)
    workbook = new_workbook()
    preamble = [
        [_("咸阳市惠企政策奖励资金拨付明细表")],
        [_("批次编号"), batch.reference, "", _("状态"), batch.get_state_display()],
        [
            _("生成人"),
            str(batch.created_by),
            "",
            _("锁定人"),
            str(batch.locked_by or ""),
            _("锁定时间"),
            _when(batch.locked_at),
        ],
        [
            _("笔数"),
            totals.count,
            "",
            _("合计金额"),
            format_yuan(totals.amount),
            _("金额大写"),
            capitals(totals.amount),
        ],
        [],
    ]
    total_row = [""] * len(LIST_HEADERS)
    total_row[1] = _("合计（%(n)d 笔）") % {"n": totals.count}
    total_row[AMOUNT_COLUMN] = totals.amount
    total_row[AMOUNT_COLUMN + 1] = capitals(totals.amount)

    write_sheet(
        workbook,
        title=_("拨付明细"),
        headers=LIST_HEADERS,
        rows=_list_rows(batch, full_accounts=full_accounts),
        widths=LIST_WIDTHS,
        preamble=preamble,
        number_format={AMOUNT_COLUMN: AMOUNT_FORMAT},
        total_row=total_row,
    )
    summary = [
        [grouping, group.label, group.count, group.amount, capitals(group.amount)]
        for grouping, groups in totals.groupings
        for group in groups
    ]
    summary.append([_("合计"), "", totals.count, totals.amount, capitals(totals.amount)])
    write_sheet(
        workbook,
        title=_("汇总"),
        headers=(_("分组"), _("项目"), _("笔数"), _("金额（元）"), _("金额大写")),
        rows=summary,
        widths=(16, 40, 8, 18, 36),
        number_format={3: AMOUNT_FORMAT},
    )
    return workbook


def payment_list_csv(batch: PaymentBatch, *, full_accounts: bool = False) -> Iterator[str]:
    """The payment list as CSV for machines and Excel: UTF-8 with BOM, no totals row."""

    def rows() -> Iterator[list[Any]]:
        for row in _list_rows(batch, full_accounts=full_accounts):
            row[AMOUNT_COLUMN] = f"{row[AMOUNT_COLUMN]:.2f}"
            yield row

    return csv_rows(LIST_HEADERS, rows())


@official
def bank_result_template_workbook(batch: PaymentBatch, *, full_accounts: bool) -> Workbook:
    """The bank-result template: the export's columns with 结果 and 原因 to fill in, one row
    per line of the batch; the upload (payments.bankfile) reads it as it is."""
    workbook = new_workbook()
    write_sheet(
        workbook,
        title="银行回单",
        # "状态" would read as the bank's result column on upload: named apart here.
        headers=(*(h if h != "状态" else "明细状态" for h in LIST_HEADERS), *RESULT_HEADERS),
        # As the payment list: full accounts only for finance's audited export (the grant).
        rows=([*row, "", ""] for row in _list_rows(batch, full_accounts=full_accounts)),
        widths=(*LIST_WIDTHS, 10, 30),
        number_format={AMOUNT_COLUMN: AMOUNT_FORMAT},
        # One data sheet (the upload refuses more); the reader finds the header below these.
        preamble=(
            (f"银行回单模板 {batch.reference}",),
            ("“结果”填写“成功”或“失败”（也接受“已拨付”“退票”等写法）；失败时“原因”必填。",),
            ("请勿修改明细编号、银行账号和金额：系统逐行核对，任何一行有误则整份文件不导入。",),
        ),
    )
    return workbook


@official
def batch_summary_pdf(batch: PaymentBatch) -> bytes:
    """批次汇总表: totals per measure, department and county, grand total, signature lines."""
    from weasyprint import HTML

    totals = batch_totals(batch)
    html = render_to_string(
        "payments/summary_pdf.html",
        {
            "batch": batch,
            "totals": totals,
            "grand_figures": format_yuan(totals.amount),
            "grand_capitals": capitals(totals.amount),
            "printed_at": _when(timezone.now()),
            "locked_at": _when(batch.locked_at),
        },
    )
    return HTML(string=html).write_pdf(stylesheets=[pdf_stylesheet("portal/pdf/batch-summary.css")])


def batches_workbook(batches) -> Workbook:
    workbook = new_workbook()
    rows = (
        [
            b.reference,
            b.get_state_display(),
            b.line_count,
            b.total_amount,
            str(b.created_by),
            _when(b.created_at),
            str(b.locked_by or ""),
            _when(b.locked_at),
        ]
        for b in batches.iterator(chunk_size=500)
    )
    write_sheet(
        workbook,
        title=_("拨付批次"),
        headers=(
            _("批次编号"),
            _("状态"),
            _("笔数"),
            _("合计金额（元）"),
            _("生成人"),
            _("生成时间"),
            _("锁定人"),
            _("锁定时间"),
        ),
        rows=rows,
        widths=(20, 10, 8, 18, 20, 18, 20, 18),
        number_format={3: AMOUNT_FORMAT},
    )
    return workbook


DASHBOARD_TABLES = {
    "by_measure": gettext_lazy("按措施"),
    "by_county": gettext_lazy("按县市区及园区"),
    "by_round": gettext_lazy("按申报批次"),
    "by_status": gettext_lazy("按状态"),
    "budgets": gettext_lazy("预算执行"),
}


def dashboard_workbook(figures: Dashboard, tables: list[str] | None = None) -> Workbook:
    """The dashboard's tables, one sheet each, with the same numbers as the page."""
    workbook = new_workbook()
    headers = (_("项目"), _("申报数"), _("核定数"), _("核定金额（元）"), _("已拨付金额（元）"))
    for key in tables or list(DASHBOARD_TABLES):
        title = str(DASHBOARD_TABLES[key])
        if key == "budgets":
            write_sheet(
                workbook,
                title=title,
                headers=(
                    _("申报批次"),
                    _("措施"),
                    _("预算（元）"),
                    _("已核定（元）"),
                    _("已拨付（元）"),
                ),
                rows=[
                    [b.round_name, b.measure, b.budget, b.committed, b.paid]
                    for b in figures.budgets
                ],
                widths=(30, 36, 18, 18, 18),
                number_format={2: AMOUNT_FORMAT, 3: AMOUNT_FORMAT, 4: AMOUNT_FORMAT},
            )
            continue
        rows = [
            [r.label, r.applications, r.awarded, r.awarded_amount, r.paid_amount]
            for r in getattr(figures, key)
        ]
        total = figures.total
        rows.append(
            [str(total.label), total.applications, total.awarded, total.awarded_amount,
             total.paid_amount]
        )  # fmt: skip
        write_sheet(
            workbook,
            title=title,
            headers=headers,
            rows=rows,
            widths=(36, 10, 10, 18, 18),
            number_format={3: AMOUNT_FORMAT, 4: AMOUNT_FORMAT},
        )
    return workbook

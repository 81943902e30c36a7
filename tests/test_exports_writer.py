"""The spreadsheet writer's fast path for data rows gives the cells openpyxl would write:
values, types, number formats, escaping, kept spaces; other values go through openpyxl."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from core.exports import new_workbook, workbook_bytes, write_sheet


def _sheet(rows, **options):
    workbook = new_workbook()
    write_sheet(workbook, title="明细", headers=["a", "b", "c", "d", "e"], rows=rows, **options)
    return load_workbook(io.BytesIO(workbook_bytes(workbook)))["明细"]


def test_data_rows_read_back_as_written():
    sheet = _sheet(
        [
            [1, "收款户名", Decimal("12345.50"), True, None],
            [2, "  左右有空格 ", Decimal("0.10"), False, "a&b<c>"],
            [3, "=1+1", 2.5, "", "#N/A"],
            [4, "日期行", Decimal("7.00"), date(2026, 1, 15), "经 openpyxl"],
        ],
        number_format={2: "#,##0.00"},
        total_row=["合计", "", Decimal("12353.10"), "", ""],
    )
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert rows == [
        [1, "收款户名", 12345.5, True, None],
        [2, "  左右有空格 ", 0.1, False, "a&b<c>"],
        [3, "'=1+1", 2.5, None, "#N/A"],
        [4, "日期行", 7, datetime(2026, 1, 15), "经 openpyxl"],
        ["合计", None, 12353.1, None, None],
    ]
    amounts = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert {cell.number_format for cell in amounts} == {"#,##0.00"}
    assert [cell.data_type for cell in sheet[2]][:4] == ["n", "s", "n", "b"]
    assert sheet["E4"].data_type == "e"  # an error code stays one, as openpyxl writes it
    assert sheet.freeze_panes == "A2"

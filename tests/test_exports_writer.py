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
        [3, "=1+1", 2.5, None, "#N/A"],  # text as typed, quote-prefixed (never a formula)
        [4, "日期行", 7, datetime(2026, 1, 15), "经 openpyxl"],
        ["合计", None, 12353.1, None, None],
    ]
    amounts = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert {cell.number_format for cell in amounts} == {"#,##0.00"}
    assert [cell.data_type for cell in sheet[2]][:4] == ["n", "s", "n", "b"]
    assert sheet["E4"].data_type == "e"  # an error code stays one, as openpyxl writes it
    assert (sheet["B4"].data_type, sheet["B4"].quotePrefix) == ("s", True)
    assert sheet.freeze_panes == "A2"


def test_data_rows_take_the_fast_path_in_this_process(monkeypatch):
    """The portal's processes write data rows as text, not cell by cell through openpyxl.

    lxml (a dependency of pikepdf) makes openpyxl choose an XML writer the fast path cannot
    write into; the settings keep the standard-library one. This fails if that is lost."""
    from openpyxl.worksheet._writer import WorksheetWriter

    calls = []
    original = WorksheetWriter.write_row

    def counting(self, xf, row, row_idx):
        calls.append(row_idx)
        return original(self, xf, row, row_idx)

    monkeypatch.setattr(WorksheetWriter, "write_row", counting)
    workbook = new_workbook()
    rows = [[i, f"单位{i}", Decimal("1.50"), False, ""] for i in range(1, 201)]
    write_sheet(workbook, title="明细", headers=["a", "b", "c", "d", "e"], rows=rows)
    sheet = load_workbook(io.BytesIO(workbook_bytes(workbook)))["明细"]
    assert sheet.max_row == 201
    assert calls == [1]  # the header row only; the 200 data rows went as text

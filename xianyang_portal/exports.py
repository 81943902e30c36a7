"""Spreadsheet exports: openpyxl in write-only mode, so large exports stay cheap."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="8B1A1A")
TITLE_FONT = Font(bold=True, size=14)
TOTAL_FONT = Font(bold=True)


def write_sheet(
    workbook: Workbook,
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[int] | None = None,
    preamble: Sequence[Sequence[Any]] = (),
    number_format: dict[int, str] | None = None,
    total_row: Sequence[Any] | None = None,
) -> None:
    """A sheet: optional header block (its first cell as title), a frozen header row, the rows,
    and an optional bold totals row. `number_format` maps column index → Excel format."""
    sheet = workbook.create_sheet(title=title[:31])
    for index, width in enumerate(widths or [18] * len(headers), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    # Write-only sheets take freeze panes only before the first row is written.
    sheet.freeze_panes = f"A{len(preamble) + 2}"
    for number, line in enumerate(preamble):
        line = list(line)
        if number == 0 and line:
            line[0] = _cell(sheet, line[0], font=TITLE_FONT)
        sheet.append(line)
    sheet.append(
        [
            _cell(
                sheet,
                header,
                font=HEADER_FONT,
                fill=HEADER_FILL,
                alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
            )
            for header in headers
        ]
    )
    formats = number_format or {}
    for row in rows:
        if formats:
            row = [
                _cell(sheet, value, number_format=formats[i]) if i in formats else value
                for i, value in enumerate(row)
            ]
        sheet.append(list(row))
    if total_row is not None:
        sheet.append(
            [
                _cell(sheet, value, font=TOTAL_FONT, number_format=formats.get(i))
                for i, value in enumerate(total_row)
            ]
        )


def _cell(
    sheet, value, *, font=None, fill=None, alignment=None, number_format=None
) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    return cell


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_response(workbook: Workbook, filename: str) -> HttpResponse:
    response = HttpResponse(workbook_bytes(workbook), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response

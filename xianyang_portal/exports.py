"""The one writer for spreadsheets and CSV files.

Every text cell goes through `safe_text`: a value a spreadsheet would run as a formula
(it starts with = + - @, a tab or a carriage return) gets a leading apostrophe, so names
typed by users (`=HYPERLINK(...)`) stay text (OWASP "CSV injection"). In CSV, a long digit
string (an account number) gets a leading tab so Excel keeps all 19 digits as text instead of
rounding them to 6.22202E+18. openpyxl writes large exports in write-only mode.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
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
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel shows 12+ digits in scientific notation and rounds past 15.
LONG_DIGITS = re.compile(r"\d{12,}")


def safe_text(value: Any) -> Any:
    """A cell value a spreadsheet will not evaluate; non-text values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    value = safe_text(value)
    if isinstance(value, str) and LONG_DIGITS.fullmatch(value):
        return "\t" + value
    return value


def csv_rows(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV for Excel and machines: UTF-8 with BOM, CRLF, every cell through the safe writer;
    yields chunks so a large list streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([_csv_value(value) for value in headers])
    for index, row in enumerate(rows, start=1):
        writer.writerow([_csv_value(value) for value in row])
        if index % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


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
        line = [safe_text(value) for value in line]
        if number == 0 and line:
            line[0] = _cell(sheet, line[0], font=TITLE_FONT)
        sheet.append(line)
    sheet.append(
        [
            _cell(
                sheet,
                safe_text(header),
                font=HEADER_FONT,
                fill=HEADER_FILL,
                alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
            )
            for header in headers
        ]
    )
    formats = number_format or {}
    for row in rows:
        row = [safe_text(value) for value in row]
        if formats:
            row = [
                _cell(sheet, value, number_format=formats[i]) if i in formats else value
                for i, value in enumerate(row)
            ]
        sheet.append(row)
    if total_row is not None:
        sheet.append(
            [
                _cell(sheet, safe_text(value), font=TOTAL_FONT, number_format=formats.get(i))
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

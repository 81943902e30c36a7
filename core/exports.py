"""The one writer for spreadsheets and CSV files.

Every text cell drops the control characters a worksheet refuses, and a value a spreadsheet
would run as a formula (it starts with = + - @, a tab or a carriage return) stays text
(OWASP "CSV injection"): in CSV it gets a leading apostrophe (`safe_text`); in xlsx it is a
string cell marked quote-prefixed, so the name the bank reads is the name as typed, without an
apostrophe, and Excel still keeps it text when someone edits it (`_sheet_value`). In CSV, a long digit
string (an account number) gets a leading tab so Excel keeps all 19 digits as text instead of
rounding them to 6.22202E+18. openpyxl writes large exports in write-only mode.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any, TypeVar
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .text import CONTROL_CHARACTERS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="8B1A1A")
TITLE_FONT = Font(bold=True, size=14)
TOTAL_FONT = Font(bold=True)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel shows 12+ digits in scientific notation and rounds past 15.
LONG_DIGITS = re.compile(r"\d{12,}")


def _clean_text(value: Any) -> Any:
    """Control characters a worksheet refuses (older data may hold them; forms and the API
    refuse them now) are dropped: openpyxl raised on them, and the whole export was a 500."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        return CONTROL_CHARACTERS.sub("", value)
    return value


def safe_text(value: Any) -> Any:
    """A CSV value a spreadsheet will not evaluate nor refuse; non-text values pass unchanged."""
    value = _clean_text(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _sheet_value(sheet, value: Any) -> Any:
    """An xlsx value: formula-like text becomes a quote-prefixed string cell, as typed."""
    value = _clean_text(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl reads a leading "=" as a formula
        cell.quotePrefix = True
        return cell
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


class _DataRow(list):
    """A data row of `write_sheet`: plain values, number formats applied by the sheet."""

    __slots__ = ()


def _xml_text(value: str) -> str:
    if "&" in value or "<" in value or ">" in value:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


class _StreamingSheet(WriteOnlyWorksheet):
    """openpyxl's write-only sheet, writing plain data rows as XML text directly.

    Without lxml, openpyxl serialises every cell through ElementTree elements: about 0.1 ms a
    row of 14 cells, most of a 10,000-line export. The rows here hold text and numbers only,
    so they are formatted as the same SpreadsheetML openpyxl writes (inline strings, `n` and
    `b` cells, the style of the column's number format). Any other value (a date, a cell, an
    error code, a character a worksheet refuses) sends its row through openpyxl unchanged, and
    so does every row when the XML writer is not the standard-library one.
    """

    _formats: dict[int, str]
    _styles: dict[int, str]

    def set_data_formats(self, formats: dict[int, str]) -> None:
        self._formats = dict(formats)
        # The style index of each format, registered with the workbook as a cell would be.
        self._styles = {
            i: f' s="{_cell(self, 0, number_format=fmt).style_id}"' for i, fmt in formats.items()
        }

    def _row_xml(self, values: Sequence[Any], row_idx: int) -> str | None:
        texts = [value for value in values if type(value) is str]
        # One search over the row's text (a newline is legal in a cell, so it joins them).
        if texts and ILLEGAL_CHARACTERS_RE.search("\n".join(texts)):
            return None
        row = f'{row_idx}"'
        parts = [f'<row r="{row_idx}">']
        append = parts.append
        styles = self._styles
        _column(len(values))  # the column letters exist
        for i, value in enumerate(values):
            cell = f'<c r="{_COLUMNS[i]}{row}{styles.get(i, "")}'
            kind = type(value)
            if kind is str:
                if not value:
                    append(f'{cell} t="inlineStr"/>')
                    continue
                if value[0] == "=" or value in _ERROR_CODES:
                    return None
                value = value[:32767]
                space = (
                    ' xml:space="preserve"'
                    if (value[0].isspace() or value[-1].isspace()) and value.strip()
                    else ""
                )
                append(f'{cell} t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>')
            elif value is None:
                if i in styles:
                    append(f'{cell} t="n"/>')
            elif kind is int or kind is float or kind is Decimal:
                # As openpyxl formats numbers (through float), so both paths write the same.
                number = "%.16g" % value if math.isfinite(value) else ""  # noqa: UP031
                append(f'{cell} t="n"><v>{number}</v></c>')
            elif kind is bool:
                append(f'{cell} t="b"><v>{int(value)}</v></c>')
            else:
                return None
        append("</row>")
        return "".join(parts)

    def _write_rows(self):
        try:
            xf = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        raw = getattr(xf, "_file", None)  # et_xmlfile's text writer (not lxml's)
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    row = yield
                    if type(row) is _DataRow:
                        text = self._row_xml(row, row_idx) if raw is not None else None
                        if text is not None:
                            raw(text)
                            row_idx += 1
                            continue
                        row = [
                            _cell(self, v, number_format=self._formats[i])
                            if i in self._formats and not isinstance(v, Cell)
                            else v
                            for i, v in enumerate(row)
                        ]
                    self._writer.write_row(xf, self._values_to_row(row, row_idx), row_idx)
                    row_idx += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)


_COLUMNS: list[str] = []
_ERROR_CODES = frozenset(ERROR_CODES)


def _column(index: int) -> str:
    try:
        return _COLUMNS[index]
    except IndexError:
        while index >= len(_COLUMNS):
            _COLUMNS.append(get_column_letter(len(_COLUMNS) + 1))
        return _COLUMNS[index]


def _new_sheet(workbook: Workbook, title: str):
    if not workbook.write_only:
        return workbook.create_sheet(title=title)
    sheet = _StreamingSheet(parent=workbook, title=title)
    workbook._add_sheet(sheet)
    return sheet


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
    sheet = _new_sheet(workbook, title[:31])
    for index, width in enumerate(widths or [18] * len(headers), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    # Write-only sheets take freeze panes only before the first row is written.
    sheet.freeze_panes = f"A{len(preamble) + 2}"
    for number, line in enumerate(preamble):
        line = [_sheet_value(sheet, value) for value in line]
        if number == 0 and line and not isinstance(line[0], Cell):
            line[0] = _cell(sheet, line[0], font=TITLE_FONT)
        sheet.append(line)
    sheet.append(
        [
            _cell(
                sheet,
                _clean_text(header),
                font=HEADER_FONT,
                fill=HEADER_FILL,
                alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
            )
            for header in headers
        ]
    )
    formats = number_format or {}
    if isinstance(sheet, _StreamingSheet):
        sheet.set_data_formats(formats)
        for row in rows:
            sheet.append(_DataRow(_sheet_value(sheet, value) for value in row))
    else:
        for row in rows:
            row = [_sheet_value(sheet, value) for value in row]
            if formats:
                row = [
                    _cell(sheet, value, number_format=formats[i])
                    if i in formats and not isinstance(value, Cell)
                    else value
                    for i, value in enumerate(row)
                ]
            sheet.append(row)
    if total_row is not None:
        sheet.append(
            [
                _cell(sheet, _clean_text(value), font=TOTAL_FONT, number_format=formats.get(i))
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


# Papers that leave the portal as records (the payment list and bank template for the
# treasury and the bank, the audit log for an assessor) are always in Chinese, whatever
# language the officer's pages are in.
OFFICIAL_LANGUAGE = "zh-hans"
T = TypeVar("T")


def official(function: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(function)
    def in_chinese(*args, **kwargs) -> T:
        with translation.override(OFFICIAL_LANGUAGE):
            return function(*args, **kwargs)

    return in_chinese

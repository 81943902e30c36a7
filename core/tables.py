"""Read an uploaded table (CSV or xlsx) into rows keyed by column; file problems raise DomainError.

Shared by every import (bank results, recognition lists). Row-level checks belong to each
import's service, which reports every bad row before anything is applied.

Decisions:
- Size and row limits are the caller's; larger files are refused, not truncated.
- CSV is decoded as UTF-8 (with or without BOM), then GB18030 (a superset of GBK/GB2312, what
  Chinese Excel and government systems write), or UTF-16 when it starts with a UTF-16 BOM.
  The delimiter is a comma, tab or semicolon, whichever the header row uses most.
- xlsx: only one worksheet may hold data; empty extra sheets are ignored, a second sheet with
  data is refused. Legacy .xls is refused with a hint to save as xlsx or CSV.
- The header row is the first of the first ten rows naming all required columns, so title
  rows above it are allowed. Column names are matched in Chinese or English, ignoring spaces.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import DomainError

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # an xlsx is a zip: refuse zip bombs before parsing
HEADER_SCAN_ROWS = 10


@dataclass(frozen=True)
class TableSpec:
    columns: dict[str, tuple[str, ...]]  # column → accepted header names
    required: tuple[str, ...]
    labels: dict[str, str]  # column → the header name shown in messages
    max_bytes: int
    max_rows: int
    # Whether an xlsx formula cell reads as its formula ("=…"), for the importer to refuse,
    # instead of the value Excel cached (absent when another program wrote the file).
    formulas_as_text: bool = False

    def column_of(self, header: object) -> str | None:
        match = self.match(header)
        return match[0] if match else None

    def match(self, header: object) -> tuple[str, int] | None:
        """The column a header names, and its alias's rank (0 = the most specific name)."""
        key = "".join(_cell(header).lstrip("\ufeff").lower().split())
        for column, aliases in self.columns.items():
            for rank, alias in enumerate(aliases):
                if key == "".join(alias.lower().split()):
                    return column, rank
        return None


@dataclass(frozen=True)
class TableRow:
    row: int  # the row number a person sees in the file (1 = first line)
    cells: dict[str, str]


# Files people pick by mistake (a scanned bank slip, a Word file): named as such, instead of
# being read as a CSV that lacks every column.
NOT_TABLES = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
NOT_TABLE_SUFFIXES = (".pdf", ".doc", ".docx", ".png", ".jpg", ".jpeg", ".ofd", ".zip")


def read_table(*, name: str, data: bytes, spec: TableSpec) -> list[TableRow]:
    """The data rows of an uploaded table, as text; refuses files that cannot be read."""
    refuse_unreadable_size(data, spec)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError(
            _("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）后再导入。"),
            code="unsupported_format",
        )
    if data.startswith(NOT_TABLES) or name.lower().endswith(NOT_TABLE_SUFFIXES):
        raise DomainError(
            _("只能导入 CSV 或 xlsx 表格文件，请在 Excel 中另存为这两种格式之一后再导入。"),
            code="unsupported_format",
        )
    if data.startswith(b"PK\x03\x04"):
        table = _xlsx_rows(data, spec.max_rows, data_only=not spec.formulas_as_text)
    elif name.lower().endswith((".xlsx", ".xlsm")):
        raise DomainError(_("该文件不是有效的 xlsx 文件。"), code="unreadable_file")
    else:
        table = _csv_rows(data)
    return _rows_from_table(table, spec)


def refuse_unreadable_size(data: bytes, spec: TableSpec) -> None:
    """The checks that need no parsing (before a large file is handed to a worker)."""
    if len(data) > spec.max_bytes:
        raise DomainError(
            _("文件超过 %(limit)d MB 的上限，请拆分后导入。")
            % {"limit": spec.max_bytes // 1024 // 1024},
            code="file_too_large",
        )
    if not data.strip():
        raise DomainError(_("文件是空的。"), code="empty_file")


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise DomainError(
        _("无法识别文件编码：请以 UTF-8 或 GBK/GB18030 编码保存 CSV，或直接导入 xlsx。"),
        code="bad_encoding",
    )


def _csv_rows(data: bytes) -> list[list[object]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise DomainError(
            _("CSV 文件格式有误：%(error)s") % {"error": exc}, code="unreadable_file"
        ) from exc


def _xlsx_rows(data: bytes, max_rows: int, *, data_only: bool) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise DomainError(_("文件解压后过大，请拆分后导入。"), code="file_too_large")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except DomainError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged or non-Excel zip
        raise DomainError(
            _("无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密。"), code="unreadable_file"
        ) from exc
    try:
        with_data = [sheet for sheet in workbook.worksheets if _has_data(sheet)]
        if not with_data:
            raise DomainError(_("文件中没有数据。"), code="empty_file")
        if len(with_data) > 1:
            raise DomainError(
                _("文件包含多个有数据的工作表（%(names)s）。请只保留一个有数据的工作表后再导入。")
                % {"names": "、".join(sheet.title for sheet in with_data)},
                code="extra_sheets",
            )
        rows: list[list[object]] = []
        for values in with_data[0].iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > max_rows + HEADER_SCAN_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _has_data(sheet) -> bool:
    for values in sheet.iter_rows(values_only=True):
        if any(value not in (None, "") for value in values):
            return True
    return False


def _cell(value: object) -> str:
    """Cell text as a person would read it; whole floats lose the '.0' Excel gives them."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def _rows_from_table(table: list[list[object]], spec: TableSpec) -> list[TableRow]:
    header_index = None
    columns: dict[str, int] = {}
    first_non_empty: list[object] | None = None
    for index, values in enumerate(table[:HEADER_SCAN_ROWS]):
        if first_non_empty is None and any(_cell(v) for v in values):
            first_non_empty = values
        found: dict[str, int] = {}
        ranks: dict[str, int] = {}
        for position, header in enumerate(values):
            match = spec.match(header)
            if match is None:
                continue
            # Two headers naming one column (a payment list's 状态 beside the bank's 结果):
            # the more specific name wins, then the left-most.
            column, rank = match
            if column not in found or rank < ranks[column]:
                found[column], ranks[column] = position, rank
        if all(column in found for column in spec.required):
            header_index, columns = index, found
            break
    if header_index is None:
        present = {spec.column_of(h) for h in (first_non_empty or [])}
        missing = [spec.labels[c] for c in spec.required if c not in present]
        raise DomainError(
            _("缺少必需的列：%(missing)s。文件须包含列：%(required)s。")
            % {
                "missing": "、".join(missing),
                "required": "、".join(spec.labels[c] for c in spec.required),
            },
            code="missing_columns",
            detail={"missing": missing},
        )
    rows: list[TableRow] = []
    for offset, values in enumerate(table[header_index + 1 :], start=header_index + 2):
        cells = {
            column: _cell(values[position]) if position < len(values) else ""
            for column, position in columns.items()
        }
        if not any(cells.values()):
            continue  # blank lines (and Excel's trailing empty rows) are not rows
        rows.append(TableRow(row=offset, cells=cells))
        if len(rows) > spec.max_rows:
            raise DomainError(
                _("文件行数超过上限 %(limit)d 行，请拆分后导入。") % {"limit": spec.max_rows},
                code="too_many_rows",
            )
    if not rows:
        raise DomainError(_("文件中没有数据行。"), code="empty_file")
    return rows

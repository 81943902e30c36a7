"""Read a bank's result file (CSV or xlsx) into raw rows; file-level problems raise DomainError.

Row-level checks (matching lines, amounts, accounts) belong to the import service, which
reports every bad row before anything is applied.

Decisions:
- At most 5 MB and 20,000 data rows; larger files are refused, not truncated.
- CSV is decoded as UTF-8 (with or without BOM), then GB18030 (a superset of GBK/GB2312, what
  Chinese Excel and bank systems write), or UTF-16 when it starts with a UTF-16 BOM.
  The delimiter is a comma, tab or semicolon, whichever the header row uses most.
- xlsx: only one worksheet may hold data. Empty extra sheets (Excel's Sheet2/Sheet3) are
  ignored; a second sheet with data is refused, because we would have to guess which one is
  the bank's answer. Legacy .xls is refused with a hint to save as xlsx or CSV.
- The header row is the first of the first ten rows naming all required columns, so a bank's
  title rows above it are allowed. Column names are matched in Chinese or English.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from xianyang_portal.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # an xlsx is a zip: refuse zip bombs before parsing
HEADER_SCAN_ROWS = 10

COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": (
        "明细编号",
        "拨付明细编号",
        "明细参考号",
        "参考号",
        "业务参考号",
        "line reference",
        "line_reference",
        "reference",
    ),
    "account": ("收款账号", "银行账号", "收款人账号", "账号", "account", "bank account"),
    "amount": ("金额", "金额（元）", "金额(元)", "拨付金额", "交易金额", "amount"),
    "result": ("结果", "处理结果", "拨付结果", "交易结果", "状态", "result", "status"),
    "reason": ("原因", "失败原因", "备注", "附言", "reason", "remark"),
}
REQUIRED = ("reference", "account", "amount", "result")
COLUMN_LABELS = {
    "reference": "明细编号",
    "account": "收款账号",
    "amount": "金额",
    "result": "结果",
}
_ALIASES = {
    "".join(alias.lower().split()): column
    for column, aliases in COLUMNS.items()
    for alias in aliases
}


@dataclass(frozen=True)
class BankRow:
    row: int  # the row number a person sees in the file (1 = first line)
    reference: str
    account: str
    amount: str
    result: str
    reason: str


def read_bank_file(*, name: str, data: bytes) -> list[BankRow]:
    """The data rows of a bank result file, as text; refuses files that cannot be read."""
    if len(data) > MAX_BYTES:
        raise DomainError(
            _("文件过大（%(size).1f MB），上限为 %(limit)d MB。请按批次拆分后导入。")
            % {"size": len(data) / 1024 / 1024, "limit": MAX_BYTES // 1024 // 1024},
            code="file_too_large",
        )
    if not data.strip():
        raise DomainError(_("文件是空的。"), code="empty_file")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError(
            _("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）后再导入。"),
            code="unsupported_format",
        )
    if data.startswith(b"PK\x03\x04"):
        table = _xlsx_rows(data)
    elif name.lower().endswith((".xlsx", ".xlsm")):
        raise DomainError(_("该文件不是有效的 xlsx 文件。"), code="unreadable_file")
    else:
        table = _csv_rows(data)
    return _rows_from_table(table)


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


def _xlsx_rows(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise DomainError(_("文件解压后过大，请拆分后导入。"), code="file_too_large")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
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
                _("文件包含多个有数据的工作表（%(names)s）。请只保留银行结果一个工作表后再导入。")
                % {"names": "、".join(sheet.title for sheet in with_data)},
                code="extra_sheets",
            )
        rows: list[list[object]] = []
        for values in with_data[0].iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS + 1:
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


def _column_of(header: object) -> str | None:
    return _ALIASES.get("".join(_cell(header).lstrip("\ufeff").lower().split()))


def _rows_from_table(table: list[list[object]]) -> list[BankRow]:
    header_index = None
    columns: dict[str, int] = {}
    first_non_empty: list[object] | None = None
    for index, values in enumerate(table[:HEADER_SCAN_ROWS]):
        if first_non_empty is None and any(_cell(v) for v in values):
            first_non_empty = values
        found: dict[str, int] = {}
        for position, header in enumerate(values):
            column = _column_of(header)
            if column and column not in found:
                found[column] = position
        if all(column in found for column in REQUIRED):
            header_index, columns = index, found
            break
    if header_index is None:
        present = {_column_of(h) for h in (first_non_empty or [])}
        missing = [COLUMN_LABELS[c] for c in REQUIRED if c not in present]
        raise DomainError(
            _(
                "缺少必需的列：%(missing)s。文件须包含列：明细编号、收款账号、金额、结果（可选：原因）。"
            )
            % {"missing": "、".join(missing)},
            code="missing_columns",
            detail={"missing": missing},
        )
    rows: list[BankRow] = []
    for offset, values in enumerate(table[header_index + 1 :], start=header_index + 2):
        cells = {
            column: _cell(values[position]) if position < len(values) else ""
            for column, position in columns.items()
        }
        if not any(cells.values()):
            continue  # blank lines (and Excel's trailing empty rows) are not rows
        rows.append(
            BankRow(
                row=offset,
                reference=cells["reference"],
                account=cells["account"],
                amount=cells["amount"],
                result=cells["result"],
                reason=cells.get("reason", ""),
            )
        )
        if len(rows) > MAX_ROWS:
            raise DomainError(
                _("文件行数超过上限 %(limit)d 行，请拆分后导入。") % {"limit": MAX_ROWS},
                code="too_many_rows",
            )
    if not rows:
        raise DomainError(_("文件中没有数据行。"), code="empty_file")
    return rows

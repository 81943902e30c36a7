"""Read a bank's result file (CSV or xlsx) into raw rows; file-level problems raise DomainError.

Row-level checks (matching lines, amounts, accounts) belong to the import service, which
reports every bad row before anything is applied.

Decisions:
- At most 5 MB and 20,000 data rows; larger files are refused, not truncated.
- Encodings, sheets and header detection: see `core.tables`, shared by imports.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.tables import TableSpec, read_table
from core.tables import refuse_unreadable_size as _refuse_size

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

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
SPEC = TableSpec(
    columns=COLUMNS,
    required=REQUIRED,
    labels={**COLUMN_LABELS, "reason": "原因"},
    max_bytes=MAX_BYTES,
    max_rows=MAX_ROWS,
)


@dataclass(frozen=True)
class BankRow:
    row: int  # the row number a person sees in the file (1 = first line)
    reference: str
    account: str
    amount: str
    result: str
    reason: str


def excel_text_value(value: str) -> str:
    """Our CSV export writes digit strings as ="…" so Excel keeps them as text; read it back."""
    value = value.strip()
    if value.startswith('="') and value.endswith('"'):
        return value[2:-1]
    return value


def read_bank_file(*, name: str, data: bytes) -> list[BankRow]:
    """The data rows of a bank result file, as text; refuses files that cannot be read."""
    return [
        BankRow(
            row=row.row,
            reference=row.cells["reference"],
            account=excel_text_value(row.cells["account"]),
            amount=row.cells["amount"],
            result=row.cells["result"],
            reason=row.cells.get("reason", ""),
        )
        for row in read_table(name=name, data=data, spec=SPEC)
    ]


def refuse_unreadable_size(data: bytes) -> None:
    """Too large or empty: refused at upload, before a large file is handed to a worker."""
    _refuse_size(data, SPEC)

"""Read a bank's result file (CSV or xlsx) into raw rows; file-level problems raise DomainError.

Row-level checks (matching lines, amounts, accounts) belong to the import service, which
reports every bad row before anything is applied.

Decisions:
- At most 5 MB and 20,000 data rows; larger files are refused, not truncated.
- Encodings, sheets and header detection: see `xianyang_portal.tables`, shared by imports.
"""

from __future__ import annotations

from dataclasses import dataclass

from xianyang_portal.tables import TableSpec, read_table

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


def read_bank_file(*, name: str, data: bytes) -> list[BankRow]:
    """The data rows of a bank result file, as text; refuses files that cannot be read."""
    return [
        BankRow(
            row=row.row,
            reference=row.cells["reference"],
            account=row.cells["account"],
            amount=row.cells["amount"],
            result=row.cells["result"],
            reason=row.cells.get("reason", ""),
        )
        for row in read_table(name=name, data=data, spec=SPEC)
    ]

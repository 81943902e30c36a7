"""A formula typed by a user never becomes a live formula in any export (xlsx or CSV).

In CSV it gets an apostrophe in front; in xlsx it is the text as typed in a string cell marked
quote-prefixed (the bank reads the payee's name without an apostrophe never part of it)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from accounts.models import Organisation, User
from audit.services import audit_record
from payments.models import LineState

EVIL = '=HYPERLINK("http://evil.example","点我")'
# Hand-written: the prefixes a spreadsheet would run (CSV: an apostrophe in front; xlsx: text).
PREFIXES = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]


def _cells(response) -> list:
    workbook = load_workbook(io.BytesIO(response.content))
    return [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def _no_formula(cells) -> None:
    assert cells, "empty export"
    assert [c.value for c in cells if c.data_type == "f"] == []
    evil = [c for c in cells if c.value == EVIL]
    assert evil and all((c.data_type, c.quotePrefix) == ("s", True) for c in evil)


def test_audit_log_xlsx(demo, client):
    org = Organisation.objects.get(memberships__user=demo["qindu_corp"])
    org.legal_name = EVIL
    audit_record(actor=demo["policy_admin"], obj=org, action="organisation.rename")
    client.force_login(demo["auditor"])
    _no_formula(_cells(client.get("/reviews/audit/", {"export": "xlsx"})))


@pytest.fixture
def evil_batch(payable, build, lock, demo):
    application = payable()
    Organisation.objects.filter(pk=application.organisation_id).update(payee_name=EVIL)
    User.objects.filter(pk=demo["finance"].pk).update(full_name=EVIL)
    application.round.name = EVIL
    application.round.save(update_fields=["name"])
    batch = build()
    lock(batch)
    return batch


def test_payment_list_xlsx_and_csv(evil_batch, client, demo):
    client.force_login(demo["finance_checker"])
    _no_formula(_cells(client.get(f"/payments/batches/{evil_batch.reference}/export/xlsx/")))
    body = b"".join(
        client.get(f"/payments/batches/{evil_batch.reference}/export/csv/").streaming_content
    ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert "'" + EVIL in rows[1]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    # The 19-digit account stays text in Excel (a leading tab), and it is the real number.
    line = evil_batch.lines.get(state=LineState.PENDING)
    account = rows[1][5]
    assert account == "\t" + line.bank_account and len(line.bank_account) == 19


def test_batch_list_and_dashboard_xlsx(evil_batch, client, demo):
    client.force_login(demo["finance"])
    _no_formula(_cells(client.get("/payments/", {"export": "xlsx"})))
    _no_formula(_cells(client.get("/payments/dashboard/", {"export": "xlsx"})))


@pytest.mark.parametrize("value", PREFIXES)
def test_every_formula_prefix_is_neutralised(value):
    from core.exports import csv_rows, new_workbook, workbook_bytes, write_sheet

    workbook = new_workbook()
    write_sheet(workbook, title="t", headers=["h"], rows=[[value]])
    cell = load_workbook(io.BytesIO(workbook_bytes(workbook))).active["A2"]
    # (Without lxml, openpyxl reads a stored carriage return back as a line feed.)
    assert (cell.value.replace("\r", "\n"), cell.data_type, cell.quotePrefix) == (
        value.replace("\r", "\n"),
        "s",
        True,
    )
    row = list(csv.reader(io.StringIO("".join(csv_rows(["h"], [[value]]))[1:])))[1]
    assert row == ["'" + value]

"""Control characters (U+0000–U+001F but tab and line breaks, U+007F) are refused in every form
and API body, and an export drops any that older data holds: one in a payee name made the
whole batch's Excel payment list a 500 (openpyxl refuses them)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from accounts.forms import OrganisationProfileForm
from accounts.models import Organisation
from core.exports import new_workbook, workbook_bytes, write_sheet
from core.parsers import parse_json_body
from tests.helpers import api_as


@pytest.fixture
def org(demo):
    return Organisation.objects.get(memberships__user=demo["qindu_corp"])


@pytest.mark.parametrize("bad", ["咸阳秦都\x0b精密", "工商银行\x1f咸阳", "名\x00称", "a\x7fb"])
def test_the_profile_api_refuses_a_control_character_and_changes_nothing(demo, org, bad):
    before = (org.payee_name, org.bank_name)
    response = api_as(demo["qindu_corp"]).patch(
        "/api/v1/organisation/", {"payee_name": bad}, format="json"
    )
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "control_characters"
    assert "控制字符" in payload["message"] and "payee_name" in payload["detail"]
    org.refresh_from_db()
    assert (org.payee_name, org.bank_name) == before


def test_the_profile_page_refuses_a_control_character_beside_its_field(demo, org, client):
    client.force_login(demo["qindu_corp"])
    data = {name: getattr(org, name) or "" for name in OrganisationProfileForm.Meta.fields}
    data.update(bank_name="工商银行\x1f咸阳分行", bank_account="6216612345678901")
    response = client.post("/accounts/organisation/", data)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="id_bank_name-error"' in body
    assert "控制字符" in body
    org.refresh_from_db()
    assert "\x1f" not in org.bank_name and org.bank_account != "6216612345678901"


@pytest.mark.parametrize("encoding", ["form", "multipart"])
def test_form_and_multipart_api_bodies_refuse_them_too(demo, encoding):
    """The parser refuses the field whatever the operation: mark-read has no text field."""
    client = api_as(demo["qindu_corp"])
    data = {"ids": "1", "note": "备\x0c注"}
    if encoding == "form":
        from urllib.parse import urlencode

        response = client.post(
            "/api/v1/notifications/mark-read/",
            urlencode(data),
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = client.post("/api/v1/notifications/mark-read/", data, format="multipart")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "control_characters" and list(payload["detail"]) == ["note"]


def test_tabs_and_line_breaks_are_ordinary_text():
    assert parse_json_body('{"comment": "第一行\\r\\n第二行\\t完"}'.encode()) == {
        "comment": "第一行\r\n第二行\t完"
    }


def test_a_nested_control_character_is_named_by_its_path():
    from core.errors import DomainError

    with pytest.raises(DomainError) as info:
        parse_json_body(b'{"rows": [{"reason": "ok"}, {"reason": "\\u0001"}]}')
    assert info.value.code == "control_characters"
    assert list(info.value.detail) == ["rows.1.reason"]


def test_an_export_drops_control_characters_that_stored_data_holds():
    workbook = new_workbook()
    write_sheet(
        workbook,
        title="明细",
        headers=["户名", "开户银行"],
        rows=[["咸阳秦都\x0b精密制造有限公司", "\x1f=工商银行"]],
    )
    sheet = load_workbook(io.BytesIO(workbook_bytes(workbook)))["明细"]
    # Dropped, then neutralised: the value no longer hides a leading "=" behind \x1f.
    assert [cell.value for cell in sheet[2]] == ["咸阳秦都精密制造有限公司", "=工商银行"]
    assert (sheet["B2"].data_type, sheet["B2"].quotePrefix) == ("s", True)  # text, as typed


def test_the_payment_list_of_a_payee_with_old_control_characters_exports(
    payable, build, lock, demo, client
):
    application = payable()
    # Stored before the refusal existed (an update, not the form); the build snapshots it.
    Organisation.objects.filter(pk=application.organisation_id).update(payee_name="秦都\x0b精密")
    batch = build()
    assert batch.lines.get().payee_name == "秦都\x0b精密"
    lock(batch)
    client.force_login(demo["finance"])
    response = client.get(f"/payments/batches/{batch.reference}/export/xlsx/")
    assert response.status_code == 200
    cells = [c.value for row in load_workbook(io.BytesIO(response.content)).active for c in row]
    assert "秦都精密" in cells
    response = client.get(f"/payments/batches/{batch.reference}/export/csv/")
    assert response.status_code == 200 and "秦都精密" in b"".join(response).decode()

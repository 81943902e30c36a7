"""A refused review action comes back with the action open, what the reviewer typed kept and
the refusal next to its field (not a redirect that loses the text)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Status

pytestmark = pytest.mark.django_db


def _value(body: str, element_id: str) -> str:
    """The value of an <input id=...>, or the text of a <textarea id=...>."""
    match = re.search(rf'<input[^>]*id="{element_id}"[^>]*value="([^"]*)"', body)
    if match:
        return match.group(1)
    match = re.search(rf'<textarea[^>]*id="{element_id}"[^>]*>([^<]*)</textarea>', body)
    assert match, f"no field {element_id}"
    return match.group(1)


def _open_action(body: str) -> list[str]:
    return re.findall(r'<details class="mb-2" data-action="(\w+)" open>', body)


def test_return_without_reason_keeps_the_requirements_and_the_deadline(client, case_factory, demo):
    case = case_factory(Status.COUNTY_REVIEW)
    code = case.rule_version.rule.materials[0].code
    due = (timezone.localdate() + timedelta(days=12)).isoformat()
    client.force_login(demo["county_qindu"])
    response = client.post(
        f"/reviews/cases/{case.reference}/act/",
        {
            "action": "return",
            "revision": case.revision,
            "comment": "",
            f"correction_{code}": "请补充盖章页",
            "correction_due_on": due,
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert _open_action(body) == ["return"]
    assert 'data-testid="comment-error"' in body and "请填写理由" in body
    assert _value(body, f"corr-{code}") == "请补充盖章页"
    assert _value(body, "due-return") == due
    case.refresh_from_db()
    assert case.status == Status.COUNTY_REVIEW


def test_past_deadline_keeps_the_reason_typed(client, case_factory, demo):
    case = case_factory(Status.COUNTY_REVIEW)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    client.force_login(demo["county_qindu"])
    response = client.post(
        f"/reviews/cases/{case.reference}/act/",
        {"action": "return", "revision": case.revision, "comment": "缺少审计报告",
         "correction_due_on": past},
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="due-error"' in body
    assert _value(body, "comment-return") == "缺少审计报告"
    assert _value(body, "due-return") == past


@pytest.mark.parametrize("amount", ["二十万", "-100", "999999999999999999"])
def test_bad_recommended_amount_is_named_next_to_the_amount(client, case_factory, demo, amount):
    case = case_factory(Status.DEPARTMENT_REVIEW)
    client.force_login(demo["dept_miit"])
    response = client.post(
        f"/reviews/cases/{case.reference}/act/",
        {"action": "recommend", "revision": case.revision, "amount": amount,
         "comment": "同意推荐"},
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 400, body[:300]
    assert _open_action(body) == ["recommend"]
    assert 'id="amount-recommend-error"' in body
    assert _value(body, "amount-recommend") == amount
    assert _value(body, "comment-recommend") == "同意推荐"
    case.refresh_from_db()
    assert case.status == Status.DEPARTMENT_REVIEW


def test_enterprise_sees_the_correction_deadline_and_labels_on_detail_and_edit(
    client, case_factory, demo
):
    from datetime import date

    from applications.models import Application

    case = case_factory(Status.RETURNED)
    material = case.rule_version.rule.materials[0]
    Application.objects.filter(pk=case.pk).update(
        correction_requests={material.code: "请补充盖章页"}, correction_due_on=date(2099, 3, 31)
    )
    client.force_login(demo["qindu_corp"])
    for url in (f"/applications/{case.reference}/", f"/applications/{case.reference}/edit/"):
        body = client.get(url).content.decode()
        assert "请于 2099-03-31（含当日）前完成补正并重新提交" in body, url
        assert f"{material.label}：请补充盖章页" in body, url
        assert f"{material.code}：" not in body, url

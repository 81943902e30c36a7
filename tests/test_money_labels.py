"""One money format (¥200,000.00 in tables, 20万元 in prose) and labels instead of codes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import engines

from applications.labels import event_choices, event_label, status_label


def render(text: str, **context) -> str:
    return engines["django"].from_string("{% load portal %}" + text).render(context)


@pytest.mark.parametrize(
    ("value", "table", "prose"),
    [
        (Decimal("200000"), "¥200,000.00", "20万元"),
        (Decimal("185000.00"), "¥185,000.00", "18.5万元"),
        (Decimal("5000000"), "¥5,000,000.00", "500万元"),
        (Decimal("12345.67"), "¥12,345.67", "12,345.67元"),
        (Decimal("5000"), "¥5,000.00", "5,000元"),
        ("380000", "¥380,000.00", "38万元"),
        (None, "—", "—"),
    ],
)
def test_money_filters(value, table, prose):
    assert render("{{ v|money }}", v=value) == table
    assert render("{{ v|wan }}", v=value) == prose


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("application.mark_failed", "拨付失败"),
        ("application.letter_issued", "出具核定通知书"),
        ("application.return", "退回补正"),
        ("payment_batch.export", "导出拨付清单"),
        ("security.login", "登录成功"),
        ("security.login_failed", "登录失败"),
        ("security.download", "下载文件"),
        ("something.unknown", "其他操作"),
    ],
)
def test_event_labels(code, label):
    assert event_label(code) == label


def test_status_labels_and_filter_choices():
    assert status_label("returned") == "退回补正"
    choices = dict(event_choices())
    assert choices["application.mark_paid"] == "已拨付"
    assert all(not label.isascii() for label in choices.values())


def test_audit_log_shows_names_and_labels(client, case_factory, demo):
    from applications.lifecycle.engine import TransitionRequest, application_transition
    from applications.lifecycle.transitions import Action

    case = case_factory("county_review")
    application_transition(
        actor=demo["county_qindu"],
        application_id=case.pk,
        request=TransitionRequest(Action.PASS, comment="审计展示"),
    )
    client.force_login(demo["auditor"])
    body = client.get("/reviews/audit/", {"action": "application.pass"}).content.decode()
    assert "秦都区工信局 张审核" in body and "审核通过" in body
    assert "application.pass</td>" not in body and ">county_qindu<" not in body
    assert '<select name="action"' in body
    bad = client.get("/reviews/audit/", {"action": "drop table"})
    assert bad.status_code == 200 and "invalid-feedback" in bad.content.decode()


def test_auditor_sees_no_bulk_controls(client, case_factory, demo):
    case_factory("approval")
    client.force_login(demo["auditor"])
    body = client.get("/reviews/").content.decode()
    assert 'name="selected"' not in body and 'id="bulk-action"' not in body
    client.force_login(demo["approver"])
    body = client.get("/reviews/").content.decode()
    assert 'name="selected"' in body and 'id="bulk-action"' in body


def test_every_recorded_audit_action_has_a_label_and_a_filter_choice():
    """An auditor finds every kind of event by name: each action the code records (read off
    the source: the literal `action="..."` of its audit calls) has a label of its own."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    recorded = set()
    for app in ("accounts", "applications", "audit", "integrations", "jobs", "measures",
                "outbox", "payments", "reviews", "operations"):  # fmt: skip
        for path in (root / app).rglob("*.py"):
            recorded |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text()))
    assert len(recorded) > 30  # the scan found the calls
    choices = dict(event_choices())
    unlabelled = sorted(
        code for code in recorded if not code.startswith("application.") and code not in choices
    )
    assert unlabelled == []


def test_amount_refusals_are_translated():
    from django.utils import translation

    from core.money import MoneyError, parse_money

    for raw, chinese, english in (
        ("abc", "金额必须是数字。", "The amount must be a number."),
        ("-1", "金额不能为负数。", "The amount cannot be negative."),
        ("1.005", "金额最多保留两位小数（精确到分）。", "at most two decimals"),
    ):
        for language, expected in (("zh-hans", chinese), ("en", english)):
            with translation.override(language), pytest.raises(MoneyError) as info:
                parse_money(raw)
            assert expected in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,000.50", "1000.50"),
        (" 5 ", "5.00"),
        (".5", "0.50"),
        ("１２０", "120.00"),  # full-width digits, as a Chinese IME types them
        (1000, "1000.00"),
        ("1_000", None),  # Decimal() took these; nobody types a sum of money so
        ("1e3", None),
        ("0x10", None),
        ("NaN", None),
        ("", None),
    ],
)
def test_typed_amounts_are_plain_digits(raw, expected):
    from decimal import Decimal

    from core.money import MoneyError, parse_money

    if expected is None:
        with pytest.raises(MoneyError):
            parse_money(raw)
    else:
        assert parse_money(raw) == Decimal(expected)

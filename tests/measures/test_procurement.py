"""Measure 23: SME reservation in government procurement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from measures.rules import ProcurementAdvice, procurement_reservation

W = Decimal(10000)


@pytest.mark.parametrize(
    ("kind", "budget", "wholly", "reserve", "small_micro", "reason"),
    [
        ("goods", 150 * W, True, 150 * W, None, "应当专门面向中小企业采购（预留100%）"),
        ("services", 150 * W, True, 150 * W, None, "服务采购项目预算150万元"),
        ("goods", 200 * W, True, 200 * W, None, "未超过货物和服务采购项目200万元（含本数）"),
        (
            "goods",
            Decimal("2000000.01"),
            False,
            Decimal("800000.01"),
            Decimal("560000.01"),
            "超过货物和服务采购项目200万元",
        ),
        ("goods", 250 * W, False, 100 * W, 70 * W, "即不少于100万元"),
        ("services", 250 * W, False, 100 * W, 70 * W, "小微企业的比例不低于70%，即不少于70万元"),
        ("works", 350 * W, True, 350 * W, None, "未超过工程采购项目400万元（含本数）"),
        ("works", 400 * W, True, 400 * W, None, "应当专门面向中小企业采购"),
        (
            "works",
            Decimal("4000000.01"),
            False,
            Decimal("1600000.01"),
            Decimal("1120000.01"),
            "超过工程采购项目400万元",
        ),
        ("works", 500 * W, False, 200 * W, 140 * W, "预留预算总额的40%以上"),
    ],
    ids=[
        "goods-150w",
        "services-150w",
        "goods-200w-boundary",
        "goods-just-above-200w",
        "goods-250w",
        "services-250w",
        "works-350w",
        "works-400w-boundary",
        "works-just-above-400w",
        "works-500w",
    ],
)
def test_reservation(
    kind: str,
    budget: Decimal,
    wholly: bool,
    reserve: Decimal,
    small_micro: Decimal | None,
    reason: str,
) -> None:
    advice = procurement_reservation(kind, budget)  # type: ignore[arg-type]
    assert isinstance(advice, ProcurementAdvice)
    assert advice.wholly_reserved is wholly
    assert advice.sme_reserve_min_amount == reserve
    assert advice.small_micro_min_amount == small_micro
    assert advice.prepayment_min_ratio == Decimal("0.40")
    assert advice.subject_to_procurement_rules is None
    assert any("须核对适用的政府采购限额标准" in r for r in advice.reasons)
    assert any(reason in r for r in advice.reasons), advice.reasons
    assert any("预付款比例不低于合同金额的40%" in r for r in advice.reasons)
    if wholly:
        assert advice.sme_reserve_min_ratio == Decimal(1)
        assert advice.small_micro_min_share is None
    else:
        assert advice.sme_reserve_min_ratio == Decimal("0.40")
        assert advice.small_micro_min_share == Decimal("0.70")


def test_below_the_limit_standard_is_not_government_procurement() -> None:
    advice = procurement_reservation("goods", 50 * W, limit_standard=100 * W)
    assert advice.subject_to_procurement_rules is False
    assert not advice.wholly_reserved
    assert advice.sme_reserve_min_amount is None
    assert advice.prepayment_min_ratio is None
    assert "低于政府采购限额标准100万元" in advice.reasons[0]


def test_at_the_limit_standard_is_subject() -> None:
    advice = procurement_reservation("works", 100 * W, limit_standard=100 * W)
    assert advice.subject_to_procurement_rules is True
    assert advice.wholly_reserved
    assert "达到政府采购限额标准100万元" in advice.reasons[0]


def test_to_dict_is_json_safe() -> None:
    data = procurement_reservation("goods", 250 * W, limit_standard=100 * W).to_dict()
    assert data["sme_reserve_min_amount"] == "1000000.00"
    assert data["small_micro_min_amount"] == "700000.00"
    assert data["subject_to_procurement_rules"] is True


@pytest.mark.parametrize(
    ("kind", "budget", "limit", "message"),
    [
        ("goods", Decimal(-1), None, "采购预算不能为负数"),
        ("goods", Decimal(0), None, "采购预算必须大于0"),
        ("food", Decimal(100), None, "未知的采购类型：food"),
        ("goods", 1.5, None, "不接受浮点数"),
        ("goods", "abc", None, "采购预算不是有效金额"),
        ("goods", Decimal("NaN"), None, "采购预算不是有效金额"),
        ("goods", Decimal(100), Decimal(-5), "政府采购限额标准不能为负数"),
        ("works", Decimal("1e12"), None, "数额过大"),
    ],
    ids=["negative", "zero", "unknown-kind", "float", "garbage", "nan", "negative-limit", "huge"],
)
def test_invalid_input(kind: str, budget: object, limit: Decimal | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        procurement_reservation(kind, budget, limit_standard=limit)  # type: ignore[arg-type]

"""Measure 23: SME reservation in government procurement (pure function, no Django).

Text: 政府采购限额标准以上、200万元以下的货物和服务采购项目、400万元以下的工程采购项目，无特殊采购
需求的，应当专门面向中小企业采购；超过200万元的货物和服务采购项目、超过400万元的工程采购项目中
适宜由中小企业提供的，预留该采购项目预算总额的40%以上专门面向中小企业采购，其中预留给小微企业
的比例不低于70%；专门面向中小企业的政府采购合同，预付款比例不低于40%。

"以下"/"以上" include the number itself (民法典第一千二百五十九条), "超过" does not, so exactly
200万 (goods/services) or 400万 (works) is still wholly reserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from measures.rules.types import CENT, format_amount_wan

ProcurementKind = Literal["goods", "services", "works"]
KIND_LABELS: dict[str, str] = {"goods": "货物", "services": "服务", "works": "工程"}
THRESHOLDS: dict[str, Decimal] = {
    "goods": Decimal("2000000"),
    "services": Decimal("2000000"),
    "works": Decimal("4000000"),
}
SME_RESERVE_RATIO = Decimal("0.40")
SMALL_MICRO_SHARE = Decimal("0.70")
PREPAYMENT_RATIO = Decimal("0.40")
BUDGET_MAX = Decimal("100000000000")
BUDGET_MIN = Decimal("0.01")  # a budget must be more than 0 (forms use the same bounds)


@dataclass(frozen=True, slots=True)
class ProcurementAdvice:
    kind: str
    budget: Decimal
    threshold: Decimal
    # None when the limit standard was not supplied and must still be checked.
    subject_to_procurement_rules: bool | None
    wholly_reserved: bool
    sme_reserve_min_ratio: Decimal | None  # share of the budget reserved for SMEs
    sme_reserve_min_amount: Decimal | None
    small_micro_min_share: Decimal | None  # share of the SME reservation for small/micro
    small_micro_min_amount: Decimal | None
    prepayment_min_ratio: Decimal | None  # for contracts reserved for SMEs
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "kind": self.kind,
            "budget": str(self.budget),
            "threshold": str(self.threshold),
            "subject_to_procurement_rules": self.subject_to_procurement_rules,
            "wholly_reserved": self.wholly_reserved,
            "sme_reserve_min_ratio": text(self.sme_reserve_min_ratio),
            "sme_reserve_min_amount": text(self.sme_reserve_min_amount),
            "small_micro_min_share": text(self.small_micro_min_share),
            "small_micro_min_amount": text(self.small_micro_min_amount),
            "prepayment_min_ratio": text(self.prepayment_min_ratio),
            "reasons": list(self.reasons),
        }


def _amount(value: object, what: str) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError(f"{what}须为Decimal金额（元），不接受浮点数或布尔值")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{what}不是有效金额：{value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what}不是有效金额：{value!r}")
    if number < 0:
        raise ValueError(f"{what}不能为负数")
    if number > BUDGET_MAX:
        raise ValueError(f"{what}数额过大（超过1000亿元），请核对单位（元）")
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _at_least(value: Decimal) -> Decimal:
    """A minimum share in whole cents: round up, or the reservation would fall short."""
    return value.quantize(CENT, rounding=ROUND_CEILING)


def procurement_reservation(
    kind: ProcurementKind,
    budget: Decimal,
    *,
    limit_standard: Decimal | None = None,
) -> ProcurementAdvice:
    """Say how much of a procurement project must be reserved for SMEs under measure 23."""
    if kind not in THRESHOLDS:
        raise ValueError(
            f"未知的采购类型：{kind}，可选：goods（货物）、services（服务）、works（工程）"
        )
    amount = _amount(budget, "采购预算")
    if amount == 0:
        raise ValueError("采购预算必须大于0")
    limit = None if limit_standard is None else _amount(limit_standard, "政府采购限额标准")
    threshold = THRESHOLDS[kind]
    label = KIND_LABELS[kind]
    group = "工程" if kind == "works" else "货物和服务"
    budget_text = format_amount_wan(amount)
    threshold_text = format_amount_wan(threshold)
    reasons: list[str] = []

    if limit is None:
        subject: bool | None = None
        reasons.append(
            "本措施未规定政府采购限额标准，须核对适用的政府采购限额标准；"
            "以下结论以采购预算达到限额标准为前提"
        )
    elif amount < limit:
        reasons.append(
            f"{label}采购项目预算{budget_text}，低于政府采购限额标准{format_amount_wan(limit)}，"
            "不属于政府采购限额标准以上项目，本措施的预留份额要求不适用"
        )
        return ProcurementAdvice(
            kind=kind,
            budget=amount,
            threshold=threshold,
            subject_to_procurement_rules=False,
            wholly_reserved=False,
            sme_reserve_min_ratio=None,
            sme_reserve_min_amount=None,
            small_micro_min_share=None,
            small_micro_min_amount=None,
            prepayment_min_ratio=None,
            reasons=tuple(reasons),
        )
    else:
        subject = True
        reasons.append(
            f"{label}采购项目预算{budget_text}，达到政府采购限额标准{format_amount_wan(limit)}"
        )

    prepayment = "专门面向中小企业的政府采购合同，预付款比例不低于合同金额的40%"
    if amount <= threshold:
        reasons.append(
            f"{label}采购项目预算{budget_text}，未超过{group}采购项目{threshold_text}（含本数），"
            "无特殊采购需求的，应当专门面向中小企业采购（预留100%）"
        )
        reasons.append(prepayment)
        return ProcurementAdvice(
            kind=kind,
            budget=amount,
            threshold=threshold,
            subject_to_procurement_rules=subject,
            wholly_reserved=True,
            sme_reserve_min_ratio=Decimal("1.00"),
            sme_reserve_min_amount=amount,
            small_micro_min_share=None,
            small_micro_min_amount=None,
            prepayment_min_ratio=PREPAYMENT_RATIO,
            reasons=tuple(reasons),
        )

    reserve = _at_least(amount * SME_RESERVE_RATIO)
    small_micro = _at_least(amount * SME_RESERVE_RATIO * SMALL_MICRO_SHARE)
    reasons.append(
        f"{label}采购项目预算{budget_text}，超过{group}采购项目{threshold_text}；"
        "其中适宜由中小企业提供的，预留预算总额的40%以上专门面向中小企业采购，"
        f"即不少于{format_amount_wan(reserve)}"
    )
    reasons.append(
        f"预留份额中给小微企业的比例不低于70%，即不少于{format_amount_wan(small_micro)}"
        "（预算总额的28%）"
    )
    reasons.append(prepayment)
    return ProcurementAdvice(
        kind=kind,
        budget=amount,
        threshold=threshold,
        subject_to_procurement_rules=subject,
        wholly_reserved=False,
        sme_reserve_min_ratio=SME_RESERVE_RATIO,
        sme_reserve_min_amount=reserve,
        small_micro_min_share=SMALL_MICRO_SHARE,
        small_micro_min_amount=small_micro,
        prepayment_min_ratio=PREPAYMENT_RATIO,
        reasons=tuple(reasons),
    )


__all__ = ["KIND_LABELS", "THRESHOLDS", "ProcurementAdvice", "procurement_reservation"]

"""Readable Chinese summaries of reward rules, for measure pages and the calculator."""

from __future__ import annotations

from decimal import Decimal

from .types import (
    CeilingReward,
    ClauseRule,
    FixedReward,
    MatchingReward,
    PerItemReward,
    ProportionalReward,
    RewardRule,
    TieredReward,
    UnspecifiedReward,
    format_amount_wan,
    format_decimal,
)


def describe_reward(rule: RewardRule, rule_facts: ClauseRule | None = None) -> str:
    """ "国家级：不超过30万元；省级：不超过20万元" and the like."""
    if isinstance(rule, TieredReward):
        spec = rule_facts.fact(rule.tier_fact) if rule_facts else None
        parts = []
        for value, tier_rule in rule.tiers:
            label = spec.choice_label(value) if spec else value
            parts.append(f"{label}：{describe_reward(tier_rule, rule_facts)}")
        text = "；".join(parts)
    elif isinstance(rule, FixedReward):
        text = f"{format_amount_wan(rule.amount)}"
    elif isinstance(rule, CeilingReward):
        text = f"不超过{format_amount_wan(rule.amount)}"
    elif isinstance(rule, PerItemReward):
        prefix = "不超过" if rule.mode == "ceiling" else ""
        text = f"{rule.item_label}{prefix}{format_amount_wan(rule.amount)}"
    elif isinstance(rule, ProportionalReward):
        ratio = format_decimal(rule.ratio * 100)
        cap = f"，不超过{format_amount_wan(rule.cap)}" if rule.cap is not None else ""
        if rule.ratio_is_default:  # "一定比例": the default binds nothing until it is set
            ratio = "一定比例（比例尚未设定）"
            cap = cap or "，本条款未规定封顶金额"
        else:
            ratio += "%"
        text = f"按{_fact_label(rule_facts, rule.base_fact)}的{ratio}{cap}"
    elif isinstance(rule, MatchingReward):
        ratio = format_decimal(rule.ratio * 100)
        text = f"按{_fact_label(rule_facts, rule.base_fact)}的不超过{ratio}%配套"
    elif isinstance(rule, UnspecifiedReward):
        text = "给予一定奖励（金额由审核确定）"
    else:  # pragma: no cover - every kind is listed above
        text = rule.kind
    if rule.cumulative_cap is not None:
        text += f"，每户累计不超过{format_amount_wan(rule.cumulative_cap.amount)}"
    return text


def max_amount(rule: RewardRule) -> Decimal | None:
    """The largest amount a single application can reach, where the rule says so."""
    if isinstance(rule, TieredReward):
        amounts = [max_amount(tier) for _value, tier in rule.tiers]
        known = [a for a in amounts if a is not None]
        return max(known) if known and len(known) == len(amounts) else None
    if isinstance(rule, FixedReward | CeilingReward):
        return rule.amount
    if isinstance(rule, ProportionalReward):
        return rule.cap
    if isinstance(rule, PerItemReward) and rule.cumulative_cap is not None:
        return rule.cumulative_cap.amount
    return None


def _fact_label(rule: ClauseRule | None, name: str) -> str:
    spec = rule.fact(name) if rule else None
    return spec.label if spec else name


def fact_rows(rule: ClauseRule, facts: dict) -> list[tuple[str, str]]:
    """(label, readable value) for stored facts: tier labels instead of codes, 是/否 for flags."""
    rows = []
    for spec in rule.facts:
        value = facts.get(spec.name, "")
        if value in ("", None):
            rows.append((spec.label, ""))
            continue
        if spec.kind == "tier":
            value = spec.choice_label(str(value))
        elif spec.kind == "bool":
            value = "是" if str(value).lower() in ("true", "1", "on", "yes") else "否"
        rows.append((spec.label, str(value)))
    return rows

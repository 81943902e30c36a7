"""Rule engine: clean submitted facts, evaluate a clause (pure Python, no Django).

Each ClauseRule is compiled once into a closure with its constants, labels and reason texts
prepared, so the hot path is a few dict lookups, Decimal operations and string formats.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from measures.rules.items import item_keys, item_names
from measures.rules.types import (
    APPLICANT_TYPE_LABELS,
    CENT,
    CONDITION_OPS,
    PROFILE_ATTRIBUTES,
    ZERO,
    CeilingReward,
    ClauseRule,
    Condition,
    CumulativeCap,
    Evaluation,
    FactsError,
    FactSpec,
    FixedReward,
    MatchingReward,
    PerItemReward,
    PriorAward,
    ProportionalReward,
    RewardRule,
    TieredReward,
    UnspecifiedReward,
    format_amount_wan,
    format_decimal,
    quantize_money,
)

Facts = Mapping[str, Any]
Validity = tuple[date, date]
Evaluator = Callable[..., Evaluation]
# A compiled reward step appends its reasons and blocking messages and returns
# (amount or None, amount kind).
_Calc = Callable[[Facts, Sequence[PriorAward], list[str], list[str]], tuple[Decimal | None, str]]
_Check = Callable[[Facts, list[str], list[str]], None]

MONEY_MAX = Decimal("100000000000")  # 1e11 yuan: anything larger is a typing error
COUNT_MAX = 10000
PERCENT_MIN = Decimal(-100)
PERCENT_MAX = Decimal(10000)
TEXT_MAX = 500
_HUNDRED = Decimal(100)

_fmt = format_amount_wan
_new_tuple = tuple.__new__
# Entries each compiled rule remembers per kind (event-date reasons, item keys, per-item
# totals, count mismatches), cleared when full: enough for the few hundred dates of a policy
# period, small enough that up to _COMPILED_MAX compiled rules stay cheap to hold.
_TEXTS_MAX = 1024


# --------------------------------------------------------------------------------------------
# Cleaning facts


class _BadValue(Exception):
    pass


def _parse_number(spec: FactSpec, value: object) -> Decimal:
    if isinstance(value, bool):
        raise _BadValue(f"{spec.label}须为数字")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace(" ", "")
        if spec.kind == "percent" and text.endswith("%"):
            text = text[:-1]
        if "e" in text.lower():  # Decimal reads "1.5e3" as 1500; nobody means that in a form
            raise _BadValue(f"{spec.label}不是有效数字：{value}（请直接填写数字）")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _BadValue(f"{spec.label}不是有效数字：{value}") from None
    else:
        raise _BadValue(f"{spec.label}须为数字")
    if not number.is_finite():
        raise _BadValue(f"{spec.label}不是有效数字：{value}")
    return number


def _check_bounds(spec: FactSpec, number: Decimal) -> None:
    if spec.min is not None and number < spec.min:
        raise _BadValue(f"{spec.label}不能小于{format_decimal(spec.min)}")
    if spec.max is not None and number > spec.max:
        raise _BadValue(f"{spec.label}不能大于{format_decimal(spec.max)}")


def _clean_money(spec: FactSpec, value: object) -> Decimal:
    number = _parse_number(spec, value)
    if number < 0:
        raise _BadValue(f"{spec.label}不能为负数")
    if number > MONEY_MAX:
        raise _BadValue(f"{spec.label}数额过大（超过1000亿元），请核对单位（元）")
    quantized = number.quantize(CENT, rounding=ROUND_HALF_UP)
    if quantized != number:
        raise _BadValue(f"{spec.label}最多保留两位小数")
    _check_bounds(spec, quantized)
    return quantized


def _clean_count(spec: FactSpec, value: object) -> int:
    number = _parse_number(spec, value)
    if number != number.to_integral_value():
        raise _BadValue(f"{spec.label}须为整数")
    if number < 0:
        raise _BadValue(f"{spec.label}不能为负数")
    if number > COUNT_MAX:
        raise _BadValue(f"{spec.label}数量过大（超过{COUNT_MAX}）")
    _check_bounds(spec, number)
    return int(number)


def _clean_percent(spec: FactSpec, value: object) -> Decimal:
    number = _parse_number(spec, value)
    if number < PERCENT_MIN or number > PERCENT_MAX:
        raise _BadValue(f"{spec.label}超出合理范围（-100%至10000%）")
    _check_bounds(spec, number)
    return number


def _clean_date(spec: FactSpec, value: object) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        result = value
    elif isinstance(value, str):
        try:
            result = date.fromisoformat(value.strip())
        except ValueError:
            raise _BadValue(f"{spec.label}日期格式无效：{value}，应为YYYY-MM-DD") from None
    else:
        raise _BadValue(f"{spec.label}日期格式无效：{value}，应为YYYY-MM-DD")
    if not 1900 <= result.year <= 2100:
        raise _BadValue(f"{spec.label}超出合理范围：{result.isoformat()}")
    return result


def _clean_text(spec: FactSpec, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _BadValue(f"{spec.label}须为文本")
    text = str(value).strip()
    if len(text) > TEXT_MAX:
        raise _BadValue(f"{spec.label}过长（最多{TEXT_MAX}字）")
    return text


_TRUE = frozenset(("true", "1", "yes", "y", "on", "是", "有"))
_FALSE = frozenset(("false", "0", "no", "n", "off", "否", "无"))


def _clean_bool(spec: FactSpec, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _BadValue(f"{spec.label}须为“是”或“否”")


def _clean_tier(spec: FactSpec, value: object) -> str:
    text = str(value).strip() if isinstance(value, str | int) else None
    for choice in spec.choices:
        if text in (choice.value, choice.label):
            return choice.value
    labels = "、".join(c.label for c in spec.choices)
    raise _BadValue(f"未知的等级：{value}，可选：{labels}")


_CLEANERS: dict[str, Callable[[FactSpec, object], Any]] = {
    "money": _clean_money,
    "count": _clean_count,
    "percent": _clean_percent,
    "date": _clean_date,
    "text": _clean_text,
    "bool": _clean_bool,
    "tier": _clean_tier,
}


def clean_facts(rule: ClauseRule, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Convert form/JSON values to typed facts; raise FactsError(field → message)."""
    errors: dict[str, str] = {}
    known = {spec.name for spec in rule.facts}
    for name in raw:
        if name not in known:
            errors[str(name)] = f"未知的字段：{name}"
    cleaned: dict[str, Any] = {}
    for spec in rule.facts:
        value = raw.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                errors[spec.name] = f"请填写{spec.label}"
            continue
        try:
            cleaned[spec.name] = _CLEANERS[spec.kind](spec, value)
        except _BadValue as exc:
            errors[spec.name] = str(exc)
    if errors:
        raise FactsError(errors)
    return cleaned


def same_fact_value(spec: FactSpec, one: Any, other: Any) -> bool:
    """Do two typed values mean the same fact ("20250801" and "2025-08-01", "是" and "true")?
    A value that does not clean is the same only as the identical text."""
    if str(one).strip() == str(other).strip():
        return True
    try:
        cleaner = _CLEANERS[spec.kind]
        return cleaner(spec, one) == cleaner(spec, other)
    except _BadValue:
        return False


# --------------------------------------------------------------------------------------------
# Compiling rules


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def _value_formatter(kind: str) -> Callable[[Any], str]:
    if kind == "money":
        return _fmt
    if kind == "percent":
        return lambda v: f"{format_decimal(v)}%"
    if kind == "bool":
        return lambda v: "：是" if v else "：否"
    if kind == "date":
        return lambda v: v.isoformat()
    return str


def _compile_condition(cond: Condition, spec: FactSpec) -> _Check:
    name = cond.fact
    test = _OPERATORS[cond.op]
    target = cond.value
    show = _value_formatter(spec.kind)
    if cond.text:
        requirement = cond.text
    elif spec.kind == "bool":
        wanted = bool(target) if cond.op == "==" else not target
        requirement = f"{spec.label}须为“{'是' if wanted else '否'}”"
    else:
        requirement = f"{spec.label}{CONDITION_OPS[cond.op]}{show(target)}"
    label = spec.label
    missing = f"未填写{label}，不满足条件：{requirement}"

    def check(facts: Facts, reasons: list[str], blocking: list[str]) -> None:
        value = facts.get(name)
        if value is None:
            reasons.append(missing)
            blocking.append(missing)
        elif test(value, target):
            reasons.append(f"{label}{show(value)}，满足条件：{requirement}")
        else:
            message = f"{label}{show(value)}，不满足条件：{requirement}"
            reasons.append(message)
            blocking.append(message)

    if spec.kind != "bool":
        return check
    # A cleaned yes/no fact has two values: word both outcomes once.
    outcomes = {
        value: (
            test(value, target),
            f"{label}{show(value)}，{'满足' if test(value, target) else '不满足'}条件：{requirement}",
        )
        for value in (True, False)
    }

    def check_bool(facts: Facts, reasons: list[str], blocking: list[str]) -> None:
        value = facts.get(name)
        if value is True or value is False:
            passed, message = outcomes[value]
            reasons.append(message)
            if not passed:
                blocking.append(message)
        else:
            check(facts, reasons, blocking)

    return check_bool


def _missing(label: str) -> _Calc:
    message = f"未填写{label}，无法计算奖励金额"

    def calc(
        facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
    ) -> tuple[Decimal | None, str]:
        reasons.append(message)
        blocking.append(message)
        return None, "none"

    return calc


def _reviewer_sets(
    reason: str, base: FactSpec | None, ceiling: Decimal | None, *, share: bool = False
) -> _Calc:
    """An amount the reviewer sets (within `ceiling`, if any), showing the basis fact if typed.

    `share`: the amount is a share of the base ("按…的一定比例"), so never more than the base.
    """
    base_name = base.name if base is not None else None
    base_label = base.label if base is not None else ""
    show = _value_formatter(base.kind) if base is not None else str

    def calc_reviewer_sets(
        facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
    ) -> tuple[Decimal | None, str]:
        reasons.append(reason)
        if base_name is not None:
            value = facts.get(base_name)
            if value is not None:
                reasons.append(f"核定参考：{base_label}{show(value)}")
                if share and (ceiling is None or value < ceiling):
                    reasons.append(
                        f"按{base_label}的一定比例核定，金额不超过{base_label}{_fmt(value)}"
                    )
                    return value, "unspecified"
        return ceiling, "unspecified"

    return calc_reviewer_sets


def _stated_reward(rule: FixedReward | CeilingReward, prefix: str) -> tuple[str, str]:
    """The reason and amount kind of a reward the clause states as an amount."""
    fixed = isinstance(rule, FixedReward)
    reason = f"{prefix}奖励{'' if fixed else '上限'}{_fmt(rule.amount)}"
    return reason, "fixed" if fixed else "ceiling"


def _tier_prefix(sub: RewardRule, spec: FactSpec, value: str) -> str:
    return f"{sub.label or spec.choice_label(value)}，"


def _compile_base(rule: RewardRule, facts: Mapping[str, FactSpec], prefix: str) -> _Calc:
    if isinstance(rule, FixedReward | CeilingReward):
        amount = rule.amount
        reason, kind = _stated_reward(rule, prefix)

        def calc_constant(
            facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
        ) -> tuple[Decimal | None, str]:
            reasons.append(reason)
            return amount, kind

        return calc_constant

    if isinstance(rule, PerItemReward):
        amount = rule.amount
        count_name = rule.count_fact
        kind = rule.mode
        unit = rule.unit
        head = f"{prefix}{rule.item_label}{'不超过' if kind == 'ceiling' else ''}{_fmt(amount)} × "
        tail = "（上限）" if kind == "ceiling" else ""
        missing = f"未填写{facts[count_name].label}，无法计算奖励金额"
        # Counts are small whole numbers: count → (total, reason). Other numbers (a count
        # passed as Decimal("2.0") prints differently from 2) are not remembered.
        by_count: dict[int, tuple[Decimal, str]] = {}

        def calc_per_item(
            facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
        ) -> tuple[Decimal | None, str]:
            count = facts.get(count_name)
            if count is None:
                reasons.append(missing)
                blocking.append(missing)
                return None, "none"
            known = by_count.get(count) if count.__class__ is int else None
            if known is None:
                total = amount * count
                known = (total, f"{head}{count}{unit} = {_fmt(total)}{tail}")
                if count.__class__ is int:
                    if len(by_count) >= _TEXTS_MAX:
                        by_count.clear()
                    by_count[count] = known
            reasons.append(known[1])
            return known[0], kind

        return calc_per_item

    if isinstance(rule, ProportionalReward) and rule.ratio_is_default:
        # "一定比例": until the administrator sets the ratio, an amount set by the reviewer
        # within the clause's cap (if the text gives one); the default ratio binds nothing.
        limit = f"不超过{_fmt(rule.cap)}" if rule.cap is not None else "本条款未规定封顶金额"
        return _reviewer_sets(
            f"{prefix}按{facts[rule.base_fact].label}的一定比例奖励，具体比例尚未由政策管理员设定；"
            f"金额由审核部门核定（{limit}），并书面说明依据",
            facts[rule.base_fact],
            rule.cap,
            share=True,
        )

    if isinstance(rule, ProportionalReward | MatchingReward):
        base_name = rule.base_fact
        ratio = rule.ratio
        cap = rule.cap if isinstance(rule, ProportionalReward) else None
        ratio_text = f"{format_decimal(ratio * _HUNDRED)}%"
        head = f"{prefix}{facts[base_name].label}"
        missing = f"未填写{facts[base_name].label}，无法计算奖励金额"
        word = "配套奖励上限" if isinstance(rule, MatchingReward) else "奖励上限"
        if cap is None:
            cap_note = "（本条款未规定封顶金额）" if isinstance(rule, ProportionalReward) else ""

            def calc_ratio(
                facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
            ) -> tuple[Decimal | None, str]:
                base = facts.get(base_name)
                if base is None:
                    reasons.append(missing)
                    blocking.append(missing)
                    return None, "none"
                product = _at_most(base * ratio)
                shown = _fmt(product)
                reasons.append(
                    f"{head}{_fmt(base)} × {ratio_text} = {shown}，{word}{shown}{cap_note}"
                )
                return product, "ceiling"

            return calc_ratio

        cap_text = _fmt(cap)
        over = f"，超过封顶{cap_text}，{word}{cap_text}"
        under = f"，未超过封顶{cap_text}，{word}"

        def calc_ratio_capped(
            facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
        ) -> tuple[Decimal | None, str]:
            base = facts.get(base_name)
            if base is None:
                reasons.append(missing)
                blocking.append(missing)
                return None, "none"
            product = _at_most(base * ratio)
            shown = _fmt(product)
            if product > cap:
                reasons.append(f"{head}{_fmt(base)} × {ratio_text} = {shown}{over}")
                return cap, "ceiling"
            reasons.append(f"{head}{_fmt(base)} × {ratio_text} = {shown}{under}{shown}")
            return product, "ceiling"

        return calc_ratio_capped

    if isinstance(rule, UnspecifiedReward):
        note = f"（{rule.note}）" if rule.note else ""
        return _reviewer_sets(
            f"{prefix}奖励金额政策未具体规定{note}，由审核部门在批次预算内核定，并书面说明依据",
            facts[rule.base_fact] if rule.base_fact is not None else None,
            None,
        )

    if isinstance(rule, TieredReward):
        spec = facts[rule.tier_fact]
        tier_name = rule.tier_fact
        subs = {
            value: _compile_reward(sub, facts, _tier_prefix(sub, spec, value))
            for value, sub in rule.tiers
        }
        labels = "、".join(c.label for c in spec.choices)

        def calc_tiered(
            facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
        ) -> tuple[Decimal | None, str]:
            tier = facts.get(tier_name)
            sub = subs.get(tier)
            if sub is None:
                message = f"未知的等级：{tier}，可选：{labels}"
                reasons.append(message)
                blocking.append(message)
                return None, "none"
            return sub(facts, prior, reasons, blocking)

        return calc_tiered

    raise TypeError(f"unknown reward rule {rule!r}")


def _with_cap(inner: _Calc, cap: CumulativeCap) -> _Calc:
    group = cap.group
    limit = cap.amount
    limit_text = _fmt(limit)
    untouched = f"累计上限{limit_text}，已获{_fmt(ZERO)}，本次最多{limit_text}"
    reduced = f"按累计上限核减为{limit_text}"

    def calc_capped(
        facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
    ) -> tuple[Decimal | None, str]:
        amount, kind = inner(facts, prior, reasons, blocking)
        used = ZERO
        named: list[str] = []
        for award in prior:
            if award.group == group:
                used += award.amount
                if award.reference:
                    named.append(f"{award.named()}{_fmt(award.amount)}")
        if not used and not named:
            reasons.append(untouched)
            if amount is not None and amount > limit:
                reasons.append(reduced)
                return limit, kind
            return amount, kind
        # Cases still under way hold their share too: "已占用" names them.
        taken = f"已占用{_fmt(used)}（{'、'.join(named)}）" if named else f"已获{_fmt(used)}"
        remaining = limit - used
        if remaining <= 0:
            message = f"累计上限{limit_text}，{taken}，额度已用完（剩余{_fmt(ZERO)}）"
            if not named:
                message = f"累计上限{limit_text}，{taken}，额度已用完"
            reasons.append(message)
            blocking.append(message)
            return None, "none"
        reasons.append(f"累计上限{limit_text}，{taken}，本次最多{_fmt(remaining)}")
        if amount is not None and amount > remaining:
            reasons.append(f"按累计上限核减为{_fmt(remaining)}")
            return remaining, kind
        return amount, kind

    return calc_capped


def _at_most(amount: Decimal) -> Decimal:
    """A share of a base ("不超过…的20%", "按…一定比例，不超过…") in whole cents, rounded down:
    rounded half up, 20% of 333,333.33 gave 66,666.67, more than the policy allows."""
    return amount.quantize(CENT, rounding=ROUND_DOWN)


def _compile_reward(rule: RewardRule, facts: Mapping[str, FactSpec], prefix: str) -> _Calc:
    calc = _compile_base(rule, facts, prefix)
    if rule.conditions:
        checks = tuple(_compile_condition(c, facts[c.fact]) for c in rule.conditions)
        base_calc = calc

        def calc_conditional(
            facts: Facts, prior: Sequence[PriorAward], reasons: list[str], blocking: list[str]
        ) -> tuple[Decimal | None, str]:
            for check in checks:
                check(facts, reasons, blocking)
            return base_calc(facts, prior, reasons, blocking)

        calc = calc_conditional
    if rule.cumulative_cap is not None:
        calc = _with_cap(calc, rule.cumulative_cap)
    return calc


def _constant(rule: RewardRule, prefix: str) -> tuple[str, Decimal, str] | None:
    """(reason, amount in cents, kind) of a reward that depends on no fact, else None."""
    if not isinstance(rule, FixedReward | CeilingReward):
        return None
    if rule.conditions or rule.cumulative_cap is not None:
        return None
    reason, kind = _stated_reward(rule, prefix)
    return reason, quantize_money(rule.amount), kind


def _constants(
    rule: RewardRule, facts: Mapping[str, FactSpec], prefix: str
) -> dict[str | None, tuple[str, Decimal, str]]:
    """tier (None when untiered) → what `_compile_reward` computes for it, for the rewards
    that need no calculation; evaluate_clause reads these instead of calling the reward."""
    if isinstance(rule, TieredReward):
        if rule.conditions or rule.cumulative_cap is not None:
            return {}
        spec = facts[rule.tier_fact]
        table: dict[str | None, tuple[str, Decimal, str]] = {}
        for value, sub in rule.tiers:
            constant = _constant(sub, _tier_prefix(sub, spec, value))
            if constant is not None:
                table[value] = constant
        return table
    constant = _constant(rule, prefix)
    return {None: constant} if constant is not None else {}


def _tier_caps(rule: RewardRule) -> dict[str, CumulativeCap]:
    """tier value → its own cumulative cap, for tiers that carry one."""
    if not isinstance(rule, TieredReward):
        return {}
    return {value: sub.cumulative_cap for value, sub in rule.tiers if sub.cumulative_cap}


def _count_facts(rule: RewardRule) -> set[str]:
    """The count facts per-item amounts multiply (in the rule and its tiers)."""
    names = {rule.count_fact} if isinstance(rule, PerItemReward) else set()
    if isinstance(rule, TieredReward):
        for _value, sub in rule.tiers:
            names |= _count_facts(sub)
    return names


def _ratio_pending(rule: RewardRule) -> bool:
    if isinstance(rule, ProportionalReward):
        return rule.ratio_is_default
    if isinstance(rule, TieredReward):
        return any(_ratio_pending(sub) for _value, sub in rule.tiers)
    return False


def _period_text(value: Any) -> str | None:
    return None if value is None else str(value)


def compile_rule(rule: ClauseRule) -> Evaluator:
    """Build the fast evaluator for one clause (done once per rule object)."""
    facts_by_name = {spec.name: spec for spec in rule.facts}
    code = rule.code
    allowed_text = "、".join(APPLICANT_TYPE_LABELS.get(t, t) for t in rule.applicant_types)
    # applicant type → (reason, allowed)
    applicants = {
        t: (f"本条款申报主体为：{allowed_text}；当前为：{label}", False)
        for t, label in APPLICANT_TYPE_LABELS.items()
    } | {
        t: (f"申报主体符合：{APPLICANT_TYPE_LABELS.get(t, t)}", True) for t in rule.applicant_types
    }
    # (attribute, reason when no profile is known, when it has it, when it has not)
    requires = tuple(
        (
            name,
            f"本条款申报单位须为{wording}（按申报单位信息核对）",
            f"申报单位信息登记为{wording}，符合要求",
            f"本条款申报单位须为{wording}；申报单位信息未登记为{wording}",
        )
        for name, wording in ((name, PROFILE_ATTRIBUTES[name]) for name in rule.requires)
    )

    event_name = rule.event_date_fact
    event_label = facts_by_name[event_name].label if event_name else ""
    event_missing = f"未填写{event_label}，无法确认是否在政策有效期内"
    no_event = rule.event_note or "本条款无单一认定日期，不按认定日期校验政策有效期"
    # (validity, start, end, "在…内" tail, "不在…内" tail, event date → (inside, reason)),
    # replaced as one tuple so concurrent callers never see a half-updated cache. Event dates
    # fall in a few hundred days, so their reasons are formatted once each.
    period_cache: list[tuple[Any, date, date, str, str, dict[date, tuple[bool, str]]]] = [
        (None, date.max, date.min, "", "", {})
    ]

    tier_name = rule.reward.tier_fact if isinstance(rule.reward, TieredReward) else None
    tier_spec = facts_by_name[tier_name] if tier_name else None
    group = rule.award_group
    tier_caps = _tier_caps(rule.reward)
    outer_cap = rule.reward.cumulative_cap
    default_group = (
        outer_cap.group if outer_cap else (group if (rule.first_time or rule.group) else None)
    )
    outer_cap_amount = outer_cap.amount if outer_cap is not None else None
    first_time = rule.first_time
    one_time = rule.one_time
    basis_name = rule.basis_fact
    period_name = rule.period_fact
    period_label = facts_by_name[period_name].label if period_name else ""
    items_name = rule.items_fact
    many = items_name is not None
    # The facts that identify rewarded items: a list of products, else the basis (certificate,
    # project) as one item. A basis that is the period is handled as the period.
    key_name = items_name or (basis_name if basis_name != period_name else None)
    count_names = tuple(sorted(_count_facts(rule.reward))) if many else ()
    items_label = facts_by_name[items_name].label if items_name else ""
    ratio_pending = _ratio_pending(rule.reward)
    checks_passed: tuple[str, ...] = tuple(
        text
        for flag, text in (
            (first_time, "此前未获同类奖励，符合首次认定（新认定/新取得/新培育/每户一次）要求"),
            (one_time, "此前未获本条款一次性奖励"),
        )
        if flag
    )
    prefix = f"{rule.reward.label or rule.title}，"
    calc = _compile_reward(rule.reward, facts_by_name, prefix)
    constants = _constants(rule.reward, facts_by_name, prefix)
    quantize = Decimal.quantize
    # Typed text → its item keys (texts only: equal numbers can print differently).
    keys_cache: dict[str, tuple[str, ...]] = {}
    # (count fact, whole count, items listed) → the message that they differ
    mismatches: dict[tuple[str, int, int], str] = {}

    def _prior_keys(award: PriorAward) -> tuple[str, ...]:
        if award.items:
            return award.items
        return item_keys(award.basis, many=many) if award.basis else ()

    def _where(award: PriorAward) -> str:
        return f"申报{award.named()}" if award.reference else f"本条款奖励{_fmt(award.amount)}"

    def evaluate_clause(
        facts: Facts,
        applicant_type: str,
        prior: Sequence[PriorAward],
        validity: Validity,
        profile: Mapping[str, bool] | None = None,
    ) -> Evaluation:
        applicant = applicants.get(applicant_type)
        if applicant is None:
            message = f"本条款申报主体为：{allowed_text}；当前为：{applicant_type}"
            reasons: list[str] = [message]
            blocking: list[str] = [message]
        elif applicant[1]:
            reasons = [applicant[0]]
            blocking = []
        else:
            reasons = [applicant[0]]
            blocking = [applicant[0]]
        if requires:
            for attribute, unchecked, has, has_not in requires:
                if profile is None:
                    reasons.append(unchecked)
                elif profile.get(attribute):
                    reasons.append(has)
                else:
                    reasons.append(has_not)
                    blocking.append(has_not)

        if event_name is not None:
            period = period_cache[0]
            if period[0] is not validity and period[0] != validity:
                start, end = validity
                span = f"政策有效期内（{start.isoformat()}至{end.isoformat()}）"
                period = (validity, start, end, f"在{span}", f"不在{span}", {})
                period_cache[0] = period
            when = facts.get(event_name)
            if when is None:
                reasons.append(event_missing)
                blocking.append(event_missing)
            else:
                texts = period[5]
                known = texts.get(when)
                if known is None:
                    inside = period[1] <= when <= period[2]
                    tail = period[3] if inside else period[4]
                    known = (inside, f"{event_label}{when.isoformat()}{tail}")
                    if len(texts) >= _TEXTS_MAX:
                        texts.clear()
                    texts[when] = known
                reasons.append(known[1])
                if not known[0]:
                    blocking.append(known[1])
        else:
            reasons.append(no_event)

        tier = facts.get(tier_name) if tier_name is not None else None
        period_value = _period_text(facts.get(period_name)) if period_name else None
        if key_name is not None:
            text = facts.get(key_name)
            if text.__class__ is str:
                keys = keys_cache.get(text)
                if keys is None:
                    if len(keys_cache) >= _TEXTS_MAX:
                        keys_cache.clear()
                    keys = keys_cache[text] = item_keys(text, many=many)
            else:
                keys = item_keys(text, many=many)
        else:
            keys = ()
        granted = keys
        if many and count_names:
            for count_name in count_names:
                count = facts.get(count_name)
                if count is not None and count != len(keys):
                    key = (count_name, count, len(keys))
                    message = mismatches.get(key) if count.__class__ is int else None
                    if message is None:
                        message = (
                            f"{facts_by_name[count_name].label}（{count}）与{items_label}"
                            f"所列的{len(keys)}项不一致，请逐一列出（以顿号分隔，不重复）"
                        )
                        if count.__class__ is int:
                            if len(mismatches) >= _TEXTS_MAX:
                                mismatches.clear()
                            mismatches[key] = message
                    reasons.append(message)
                    blocking.append(message)
        if prior:
            once = earlier = same_period = None
            taken: dict[str, PriorAward] = {}
            for award in prior:
                if award.clause_code == code:
                    if one_time and once is None:
                        once = award
                    if period_value is not None and same_period is None:
                        other = award.period
                        if other is None and basis_name == period_name:
                            other = award.basis
                        if other == period_value:
                            same_period = award
                    if keys:
                        for key in _prior_keys(award):
                            taken.setdefault(key, award)
                if (
                    first_time
                    and earlier is None
                    and award.group == group
                    and (tier is None or award.tier is None or award.tier == tier)
                ):
                    earlier = award
            if keys and taken:
                granted = tuple(key for key in keys if key not in taken)
                if not many and not granted:
                    basis_text = str(facts.get(key_name))
                    holder = taken[keys[0]]
                    message = (
                        f"同一事项“{basis_text}”已获本条款奖励{_fmt(holder.amount)}，"
                        "同一项目不再重复支持"
                        if not holder.reference
                        else f"同一事项“{basis_text}”已在{_where(holder)}中申报或获奖，"
                        "同一项目不再重复支持"
                    )
                    reasons.append(message)
                    blocking.append(message)
                elif many:
                    names = item_names(facts.get(key_name))
                    for key in keys:
                        if key in taken:
                            reasons.append(
                                f"“{names.get(key, key)}”已在{_where(taken[key])}中申报或获奖，"
                                "本项不再奖励"
                            )
                    if not granted:
                        message = f"{items_label}所列各项均已申报或获奖，不再重复奖励"
                        reasons.append(message)
                        blocking.append(message)
                    elif len(granted) < len(keys):
                        reasons.append(f"本次按未获奖励的{len(granted)}项计算")
                        facts = {**facts, **{name: len(granted) for name in count_names}}
            if same_period is not None:
                message = (
                    f"本条款每个{period_label}奖励一次，{period_label}{period_value}已在"
                    f"{_where(same_period)}中申报或获奖，不再重复奖励"
                )
                reasons.append(message)
                blocking.append(message)
            if once is not None:
                message = (
                    f"本条款为一次性奖励，已获本条款奖励{_fmt(once.amount)}，不再重复奖励"
                    if not once.reference
                    else f"本条款为一次性奖励，已有{_where(once)}，不再重复奖励"
                )
                reasons.append(message)
                blocking.append(message)
            if earlier is not None:
                shown = ""
                if earlier.tier and tier_spec is not None:
                    shown = f"（{tier_spec.choice_label(earlier.tier)}）"
                if earlier.reference:
                    message = (
                        f"本条款仅奖励首次认定（每户一次），本单位已有同类申报{shown}"
                        f"{earlier.named()}（{earlier.clause_code}，{_fmt(earlier.amount)}），"
                        "不能再次申报"
                    )
                else:
                    message = (
                        f"本条款仅奖励首次认定，已获同类奖励{shown}{_fmt(earlier.amount)}"
                        f"（{earlier.clause_code}）"
                    )
                reasons.append(message)
                blocking.append(message)
            if once is None and earlier is None:
                reasons.extend(checks_passed)
        elif checks_passed:
            reasons.extend(checks_passed)

        constant = constants.get(tier) if constants else None
        if constant is not None:
            reasons.append(constant[0])
            amount = constant[1]
            kind = constant[2]
        else:
            amount, kind = calc(facts, prior, reasons, blocking)
        if tier_caps:
            cap = tier_caps.get(tier, outer_cap)
            award_group = cap.group if cap is not None else default_group
            cap_amount = cap.amount if cap is not None else None
        else:
            award_group = default_group
            cap_amount = outer_cap_amount
        # Built with tuple.__new__: Evaluation's own __new__ is a Python function.
        if blocking:
            return _new_tuple(
                Evaluation,
                (
                    False,
                    None,
                    "none",
                    tuple(reasons),
                    tuple(blocking),
                    tier,
                    award_group,
                    (),
                    period_value,
                    cap_amount,
                    ratio_pending,
                ),
            )
        if constant is None and amount is not None:
            amount = quantize(amount, CENT, ROUND_HALF_UP)
        return _new_tuple(
            Evaluation,
            (
                True,
                amount,
                kind,
                tuple(reasons),
                (),
                tier,
                award_group,
                granted,
                period_value,
                cap_amount,
                ratio_pending,
            ),
        )

    return evaluate_clause


_COMPILED: dict[int, tuple[ClauseRule, Evaluator]] = {}
_COMPILED_MAX = 4096


def evaluator_for(rule: ClauseRule) -> Evaluator:
    """The compiled evaluator for this rule object (compiled on first use, then cached)."""
    entry = _COMPILED.get(id(rule))
    if entry is not None and entry[0] is rule:
        return entry[1]
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    compiled = compile_rule(rule)
    _COMPILED[id(rule)] = (rule, compiled)
    return compiled


def evaluate(
    rule: ClauseRule,
    facts: Facts,
    *,
    applicant_type: str,
    prior_awards: Sequence[PriorAward] = (),
    validity: Validity,
    profile: Mapping[str, bool] | None = None,
) -> Evaluation:
    """Evaluate cleaned facts against a clause; see Evaluation for the result.

    `prior_awards` are the organisation's awards and live reservations; `profile` its
    attributes (PROFILE_ATTRIBUTES), or None when no organisation is known (then a required
    attribute is named in the reasons but not checked).
    """
    entry = _COMPILED.get(id(rule))
    if entry is not None and entry[0] is rule:
        return entry[1](facts, applicant_type, prior_awards, validity, profile)
    return evaluator_for(rule)(facts, applicant_type, prior_awards, validity, profile)


__all__ = [
    "COUNT_MAX",
    "MONEY_MAX",
    "Evaluator",
    "clean_facts",
    "compile_rule",
    "evaluate",
    "evaluator_for",
    "same_fact_value",
]

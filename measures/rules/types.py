"""Typed, frozen rule objects for the policy catalogue (pure Python, no Django).

The same dict schema serves the YAML catalogue file and the JSON snapshot the Django side
freezes with every evaluation (`ClauseRule.to_dict()` / `ClauseRule.from_dict()`), so there is
one validator for both (`build_clause`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Literal, NamedTuple

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

ApplicantType = Literal["enterprise", "park", "county", "investment_promoter"]
APPLICANT_TYPE_LABELS: dict[str, str] = {
    "enterprise": "企业",
    "park": "园区",
    "county": "县市区",
    "investment_promoter": "招引主体",
}

FactKind = Literal["tier", "count", "money", "percent", "date", "text", "bool"]
FACT_KINDS: frozenset[str] = frozenset(
    ("tier", "count", "money", "percent", "date", "text", "bool")
)
NUMERIC_FACT_KINDS: frozenset[str] = frozenset(("count", "money", "percent"))

AmountKind = Literal["fixed", "ceiling", "unspecified", "none"]

ConditionOp = Literal[">=", ">", "<=", "<", "==", "!="]
CONDITION_OPS: dict[str, str] = {
    ">=": "不少于",
    ">": "超过",
    "<=": "不超过",
    "<": "低于",
    "==": "等于",
    "!=": "不等于",
}

DEPARTMENTS: tuple[str, ...] = (
    "市工信局",
    "市科技局",
    "市财政局",
    "市数据局",
    "市发改委",
    "市生态环境局",
    "市招商局",
    "市卫健委",
    "市委组织部",
    "市教育局",
    "市人社局",
)

CLAUSE_CODE_RE = re.compile(r"^M(\d\d)-[A-Z0-9-]+$")
FACT_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MATERIAL_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_-]*$")
PLEDGE_CODE = "PLEDGE"

# Attributes of the applying organisation that a clause's text requires (facts of its profile,
# kept by the organisation and checked by the engine): name → wording.
PROFILE_ATTRIBUTES: dict[str, str] = {
    "industrial": "工业企业",
    "local_drug_manufacturer": "本地药品生产企业",
}


# The largest amount a money column holds (DecimalField(max_digits=14, decimal_places=2)).
AMOUNT_MAX = Decimal("999999999999.99")
# Beyond this no number in a rule or a fact means anything (and 1e30 would break quantize).
NUMBER_LIMIT = Decimal("1e15")


# Decimal.quantize with positional arguments: about half the cost of the keyword call.
_quantize = Decimal.quantize


def quantize_money(value: Decimal) -> Decimal:
    """Money is yuan with two places, rounded half up."""
    return _quantize(value, CENT, ROUND_HALF_UP)


def format_amount_wan(amount: Decimal) -> str:
    """200000 → "20万元", 5000 → "0.5万元", 12345.5 → "12345.50元" (not whole hundreds)."""
    # String operations on the quantized value are much cheaper than Decimal or int arithmetic
    # (it is formatted several times per evaluation): "1234500.00" is 123 万 and 4500 元.
    text = str(_quantize(amount, CENT, ROUND_HALF_UP))
    if text[-5:] == "00.00" or text == "0.00":
        if text[0] == "-":
            return f"{(Decimal(int(text[:-3])) / 10000).normalize():f}万元"
        digits = text[:-3]
        wan = digits[:-4] or "0"
        rest = digits[-4:].zfill(4)
        if rest == "0000":
            return f"{wan}万元"
        return f"{wan}.{rest[:2]}".rstrip("0") + "万元"
    return text + "元"


def format_decimal(value: Decimal) -> str:
    """Plain notation without trailing zeros: 6.50 → "6.5", 2E+1 → "20"."""
    return f"{value.normalize():f}"


# --------------------------------------------------------------------------------------------
# Errors


class FactsError(ValueError):
    """Submitted facts are invalid; `errors` maps field name → Chinese message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("；".join(f"{k}：{v}" for k, v in self.errors.items()))


class RuleDefinitionError(ValueError):
    """A rule dict (catalogue entry or frozen JSON snapshot) is invalid."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: list[str] = list(errors)
        super().__init__("\n".join(self.errors))


# --------------------------------------------------------------------------------------------
# Rule objects


@dataclass(frozen=True, slots=True)
class TierChoice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    kind: FactKind
    label: str
    required: bool = True
    choices: tuple[TierChoice, ...] = ()
    min: Decimal | None = None
    max: Decimal | None = None

    def choice_label(self, value: str) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        return value


ConditionValue = Decimal | bool | str | date


@dataclass(frozen=True, slots=True)
class Condition:
    fact: str
    op: ConditionOp
    value: ConditionValue
    text: str | None = None  # human wording of the requirement, e.g. "达到1000万元（含本数）以上"


@dataclass(frozen=True, slots=True)
class CumulativeCap:
    group: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class FixedReward:
    kind: ClassVar[str] = "fixed"
    amount: Decimal
    label: str | None = None
    conditions: tuple[Condition, ...] = ()
    cumulative_cap: CumulativeCap | None = None


@dataclass(frozen=True, slots=True)
class CeilingReward:
    kind: ClassVar[str] = "ceiling"
    amount: Decimal
    label: str | None = None
    conditions: tuple[Condition, ...] = ()
    cumulative_cap: CumulativeCap | None = None


@dataclass(frozen=True, slots=True)
class PerItemReward:
    kind: ClassVar[str] = "per_item"
    amount: Decimal
    count_fact: str
    mode: Literal["fixed", "ceiling"] = "fixed"
    item_label: str = "每项"
    unit: str = "项"
    label: str | None = None
    conditions: tuple[Condition, ...] = ()
    cumulative_cap: CumulativeCap | None = None


@dataclass(frozen=True, slots=True)
class ProportionalReward:
    kind: ClassVar[str] = "proportional"
    base_fact: str
    ratio: Decimal
    cap: Decimal | None = None
    ratio_is_default: bool = False
    label: str | None = None
    conditions: tuple[Condition, ...] = ()
    cumulative_cap: CumulativeCap | None = None


@dataclass(frozen=True, slots=True)
class MatchingReward:
    kind: ClassVar[str] = "matching"
    base_fact: str
    ratio: Decimal
    mode: Literal["ceiling"] = "ceiling"
    label: str | None = None
    conditions: tuple[Condition, ...] = ()
    cumulative_cap: CumulativeCap | None = None


@dataclass(frozen=True, slots=True)
class UnspecifiedReward:
    kind: ClassVar[str] = "unspecified"
    note: str | None = None  # what the reviewer bases the amount on
    base_fact: str | None = None  # a fact shown to the reviewer as the basis, e.g. investment
    label: str | None = None
    conditions: tuple[Condition, ...] = ()
    cumulative_cap: CumulativeCap | None = None


@dataclass(frozen=True, slots=True)
class TieredReward:
    kind: ClassVar[str] = "tiered"
    tier_fact: str
    tiers: tuple[tuple[str, RewardRule], ...]
    label: str | None = None
    conditions: tuple[Condition, ...] = ()
    cumulative_cap: CumulativeCap | None = None

    def tier(self, value: str) -> RewardRule | None:
        for key, rule in self.tiers:
            if key == value:
                return rule
        return None


RewardRule = (
    FixedReward
    | CeilingReward
    | PerItemReward
    | ProportionalReward
    | MatchingReward
    | UnspecifiedReward
    | TieredReward
)
REWARD_KINDS: frozenset[str] = frozenset(
    ("fixed", "ceiling", "tiered", "per_item", "proportional", "matching", "unspecified")
)


@dataclass(frozen=True, slots=True)
class Material:
    code: str
    label: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class ClauseRule:
    code: str
    title: str
    measure_number: int
    applicant_types: tuple[str, ...]
    department: str
    facts: tuple[FactSpec, ...]
    reward: RewardRule
    event_date_fact: str | None = None
    event_note: str | None = None  # why there is no qualifying event date, shown in reasons
    basis_fact: str | None = None
    materials: tuple[Material, ...] = ()
    first_time: bool = False
    one_time: bool = False
    group: str | None = None
    # The fact naming the period a yearly threshold is assessed for (once per period).
    period_fact: str | None = None
    # The fact listing items with identity (products, certificates): each item is rewarded at
    # most once under this clause, across all applications of the organisation.
    items_fact: str | None = None
    # Profile attributes the applicant must have (PROFILE_ATTRIBUTES keys).
    requires: tuple[str, ...] = ()

    def fact(self, name: str) -> FactSpec | None:
        for spec in self.facts:
            if spec.name == name:
                return spec
        return None

    @property
    def award_group(self) -> str:
        """Group used for first-time checks (defaults to the clause code)."""
        return self.group or self.code

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (Decimals as strings, dates ISO) in the catalogue schema."""
        return {
            "code": self.code,
            "title": self.title,
            "measure_number": self.measure_number,
            "applicant_types": list(self.applicant_types),
            "department": self.department,
            "facts": [_fact_to_dict(f) for f in self.facts],
            "event_date_fact": self.event_date_fact,
            "event_note": self.event_note,
            "basis_fact": self.basis_fact,
            "reward": _reward_to_dict(self.reward),
            "materials": [
                {"code": m.code, "label": m.label, "required": m.required} for m in self.materials
            ],
            "first_time": self.first_time,
            "one_time": self.one_time,
            "group": self.group,
        } | {  # newer keys only when set, so older frozen versions keep comparing equal
            key: value
            for key, value in (
                ("period_fact", self.period_fact),
                ("items_fact", self.items_fact),
                ("requires", list(self.requires)),
            )
            if value
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClauseRule:
        """Rebuild a rule from `to_dict()` output; raises RuleDefinitionError."""
        errors: list[str] = []

        def report(message: str, _where: object = None, _key: object = None) -> None:
            errors.append(message)

        rule = build_clause(data, report)
        if errors or rule is None:
            raise RuleDefinitionError(errors or ["规则数据无效"])
        return rule


@dataclass(frozen=True, slots=True)
class PriorAward:
    """An award or live reservation of the same organisation (gathered by the Django side).

    `reference` and `status` name the application in messages; `items` are its normalised
    item keys (products, certificates) and `period` its assessment period, where the clause
    has them.
    """

    clause_code: str
    group: str | None
    tier: str | None
    amount: Decimal
    basis: str | None = None
    reference: str | None = None
    status: str | None = None
    period: str | None = None
    items: tuple[str, ...] = ()

    def named(self) -> str:
        """ "SB123（公示）" for messages; "" when the award came without a reference."""
        if not self.reference:
            return ""
        return f"{self.reference}（{self.status}）" if self.status else self.reference


class Evaluation(NamedTuple):
    """The calculator's answer for one clause. Immutable; a NamedTuple rather than a frozen
    dataclass because it is built once per evaluation (500,000 in bench/calculator.py) and a
    tuple is built in C, about 3 µs less each."""

    eligible: bool
    amount: Decimal | None
    amount_kind: AmountKind
    reasons: tuple[str, ...]
    blocking: tuple[str, ...]
    tier: str | None = None  # the tier the amount was computed for (store it with the award)
    award_group: str | None = None  # the group to record the award under (caps, first-time)
    items: tuple[str, ...] = ()  # normalised item keys this evaluation rewards
    period: str | None = None  # the assessment period (yearly thresholds)
    cap: Decimal | None = None  # the cumulative cap of award_group, if any
    ratio_pending: bool = False  # a "一定比例" clause whose ratio the administrator has not set

    def to_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "amount": None if self.amount is None else str(self.amount),
            "amount_kind": self.amount_kind,
            "reasons": list(self.reasons),
            "blocking": list(self.blocking),
            "tier": self.tier,
            "award_group": self.award_group,
            "items": list(self.items),
            "period": self.period,
            "cap": None if self.cap is None else str(self.cap),
            "ratio_pending": self.ratio_pending,
        }


# --------------------------------------------------------------------------------------------
# Serialisation


def _decimal_str(value: Decimal) -> str:
    return format_decimal(value)


def _condition_value_to_json(value: ConditionValue) -> Any:
    if isinstance(value, Decimal):
        return _decimal_str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _fact_to_dict(spec: FactSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": spec.name,
        "kind": spec.kind,
        "label": spec.label,
        "required": spec.required,
    }
    if spec.choices:
        out["choices"] = [{"value": c.value, "label": c.label} for c in spec.choices]
    if spec.min is not None:
        out["min"] = _decimal_str(spec.min)
    if spec.max is not None:
        out["max"] = _decimal_str(spec.max)
    return out


def _reward_to_dict(rule: RewardRule) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": rule.kind}
    if isinstance(rule, FixedReward | CeilingReward):
        out["amount"] = str(rule.amount)
    elif isinstance(rule, PerItemReward):
        out.update(
            amount=str(rule.amount),
            count_fact=rule.count_fact,
            mode=rule.mode,
            item_label=rule.item_label,
            unit=rule.unit,
        )
    elif isinstance(rule, ProportionalReward):
        out.update(
            base_fact=rule.base_fact,
            ratio=_decimal_str(rule.ratio),
            cap=None if rule.cap is None else str(rule.cap),
            ratio_is_default=rule.ratio_is_default,
        )
    elif isinstance(rule, MatchingReward):
        out.update(base_fact=rule.base_fact, ratio=_decimal_str(rule.ratio), mode=rule.mode)
    elif isinstance(rule, UnspecifiedReward):
        if rule.note is not None:
            out["note"] = rule.note
        if rule.base_fact is not None:
            out["base_fact"] = rule.base_fact
    elif isinstance(rule, TieredReward):
        out["tier_fact"] = rule.tier_fact
        out["tiers"] = {key: _reward_to_dict(sub) for key, sub in rule.tiers}
    if rule.label is not None:
        out["label"] = rule.label
    if rule.conditions:
        out["conditions"] = [
            {"fact": c.fact, "op": c.op, "value": _condition_value_to_json(c.value)}
            | ({"text": c.text} if c.text is not None else {})
            for c in rule.conditions
        ]
    if rule.cumulative_cap is not None:
        out["cumulative_cap"] = {
            "group": rule.cumulative_cap.group,
            "amount": str(rule.cumulative_cap.amount),
        }
    return out


# --------------------------------------------------------------------------------------------
# Building rules from dicts (shared by the catalogue parser and ClauseRule.from_dict)

# report(message, container, key): the container/key let the YAML parser add line numbers.
Reporter = Callable[[str, object, object], None]

_CLAUSE_KEYS = frozenset(
    (
        "code",
        "title",
        "measure_number",
        "applicant_types",
        "department",
        "facts",
        "event_date_fact",
        "event_note",
        "basis_fact",
        "reward",
        "materials",
        "first_time",
        "one_time",
        "group",
        "period_fact",
        "items_fact",
        "requires",
    )
)
_FACT_KEYS = frozenset(("name", "kind", "label", "required", "choices", "min", "max"))
_COMMON_REWARD_KEYS = frozenset(("kind", "label", "conditions", "cumulative_cap"))
_REWARD_KEYS: dict[str, frozenset[str]] = {
    "fixed": _COMMON_REWARD_KEYS | {"amount"},
    "ceiling": _COMMON_REWARD_KEYS | {"amount"},
    "per_item": _COMMON_REWARD_KEYS | {"amount", "count_fact", "mode", "item_label", "unit"},
    "proportional": _COMMON_REWARD_KEYS | {"base_fact", "ratio", "cap", "ratio_is_default"},
    "matching": _COMMON_REWARD_KEYS | {"base_fact", "ratio", "mode"},
    "unspecified": _COMMON_REWARD_KEYS | {"note", "base_fact"},
    "tiered": _COMMON_REWARD_KEYS | {"tier_fact", "tiers"},
}
_MATERIAL_KEYS = frozenset(("code", "label", "required"))
_CONDITION_KEYS = frozenset(("fact", "op", "value", "text"))


def to_decimal(value: object) -> Decimal | None:
    """Decimal from int/str/Decimal (floats via their repr); None if not a finite number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    if not result.is_finite() or abs(result) >= NUMBER_LIMIT:
        return None
    return result


class _Ctx:
    """Carries the reporter and the clause code for messages."""

    def __init__(self, report: Reporter, code: str) -> None:
        self.report = report
        self.code = code
        self.failed = False

    def error(self, message: str, where: object = None, key: object = None) -> None:
        self.failed = True
        self.report(f"条款 {self.code} {message}", where, key)

    def unknown_keys(self, data: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(f"的{what}含未知字段 '{key}'", data, key)

    def text(self, data: Mapping[str, Any], key: str, what: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.error(f"的{what}缺少必填项 '{key}'", data, None)
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(f"的{what}字段 '{key}' 必须是非空文本", data, key)
            return ""
        return value

    def flag(self, data: Mapping[str, Any], key: str, what: str, default: bool) -> bool:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(f"的{what}字段 '{key}' 必须是 true 或 false", data, key)
            return default
        return value

    def amount(self, data: Mapping[str, Any], key: str, what: str) -> Decimal:
        if key not in data or data[key] is None:
            self.error(f"的{what}缺少必填项 '{key}'", data, None)
            return ZERO
        value = to_decimal(data[key])
        if value is None:
            self.error(f"的{what}字段 '{key}' 不是有效金额：{data[key]!r}", data, key)
            return ZERO
        if value < 0:
            self.error(f"的金额不能为负数：{data[key]}", data, key)
            return ZERO
        if value > AMOUNT_MAX:
            self.error(f"的金额过大（最多 {AMOUNT_MAX} 元）：{data[key]}", data, key)
            return ZERO
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            self.error(f"的金额最多保留两位小数：{data[key]}", data, key)
            return ZERO
        return quantize_money(value)


def _build_fact(raw: object, ctx: _Ctx, where: object, key: object) -> FactSpec | None:
    if not isinstance(raw, Mapping):
        ctx.error("的字段定义必须是映射", where, key)
        return None
    ctx.unknown_keys(raw, _FACT_KEYS, "字段定义")
    name = ctx.text(raw, "name", "字段定义")
    if name and not FACT_NAME_RE.match(name):
        ctx.error(f"的字段名 '{name}' 无效（须为小写字母、数字、下划线）", raw, "name")
    kind = raw.get("kind")
    if kind not in FACT_KINDS:
        ctx.error(f"的字段 {name} 类型 '{kind}' 无效", raw, "kind" if "kind" in raw else None)
        return None
    label = ctx.text(raw, "label", f"字段 {name} ")
    required = ctx.flag(raw, "required", f"字段 {name} ", True)
    choices: list[TierChoice] = []
    raw_choices = raw.get("choices")
    if kind == "tier":
        if not isinstance(raw_choices, Sequence) or isinstance(raw_choices, str) or not raw_choices:
            ctx.error(
                f"的等级字段 {name} 必须列出 choices", raw, "choices" if raw_choices else None
            )
        else:
            seen: set[str] = set()
            for index, item in enumerate(raw_choices):
                if not isinstance(item, Mapping) or not isinstance(item.get("value"), str):
                    ctx.error(f"的等级字段 {name} 的选项须含 value 和 label", raw_choices, index)
                    continue
                value = item["value"]
                if value in seen:
                    ctx.error(f"的等级字段 {name} 的选项 '{value}' 重复", raw_choices, index)
                seen.add(value)
                choice_label = item.get("label")
                if not isinstance(choice_label, str) or not choice_label:
                    ctx.error(f"的等级字段 {name} 的选项 '{value}' 缺少 label", item, None)
                    choice_label = value
                choices.append(TierChoice(value=value, label=choice_label))
    elif raw_choices is not None:
        ctx.error(f"的字段 {name} 不是等级字段，不能有 choices", raw, "choices")
    bounds: dict[str, Decimal | None] = {"min": None, "max": None}
    for bound in ("min", "max"):
        if raw.get(bound) is not None:
            if kind not in NUMERIC_FACT_KINDS:
                ctx.error(f"的字段 {name} 不是数值字段，不能有 {bound}", raw, bound)
                continue
            number = to_decimal(raw[bound])
            if number is None:
                ctx.error(f"的字段 {name} 的 {bound} 不是数字：{raw[bound]!r}", raw, bound)
            bounds[bound] = number
    return FactSpec(
        name=name,
        kind=kind,
        label=label,
        required=required,
        choices=tuple(choices),
        min=bounds["min"],
        max=bounds["max"],
    )


def _fact_ref(
    ctx: _Ctx,
    data: Mapping[str, Any],
    key: str,
    facts: Mapping[str, FactSpec],
    kinds: frozenset[str] | None,
    *,
    required: bool = True,
) -> str | None:
    name = data.get(key)
    if name is None:
        if required:
            ctx.error(f"缺少必填项 '{key}'", data, None)
        return None
    if not isinstance(name, str) or name not in facts:
        ctx.error(f"的 {key} '{name}' 不是已定义的字段", data, key)
        return None
    if kinds is not None and facts[name].kind not in kinds:
        wanted = "、".join(sorted(kinds))
        ctx.error(f"的 {key} '{name}' 类型须为 {wanted}，实际为 {facts[name].kind}", data, key)
        return None
    return name


def _condition_value(
    ctx: _Ctx, spec: FactSpec, raw: Mapping[str, Any]
) -> tuple[ConditionValue, bool]:
    value = raw.get("value")
    if spec.kind in NUMERIC_FACT_KINDS:
        number = to_decimal(value)
        if number is None:
            ctx.error(f"的条件值不是数字：{value!r}", raw, "value")
            return ZERO, False
        return number, True
    if spec.kind == "bool":
        if not isinstance(value, bool):
            ctx.error(f"的条件值须为 true 或 false：{value!r}", raw, "value")
            return False, False
        return value, True
    if spec.kind == "date":
        if isinstance(value, date):
            return value, True
        try:
            return date.fromisoformat(str(value)), True
        except ValueError:
            ctx.error(f"的条件值不是日期：{value!r}", raw, "value")
            return date.min, False
    if not isinstance(value, str):
        ctx.error(f"的条件值须为文本：{value!r}", raw, "value")
        return "", False
    if spec.kind == "tier" and value not in {c.value for c in spec.choices}:
        ctx.error(f"的条件值 '{value}' 不在字段 {spec.name} 的选项中", raw, "value")
    return value, True


def _build_conditions(
    ctx: _Ctx, data: Mapping[str, Any], facts: Mapping[str, FactSpec]
) -> tuple[Condition, ...]:
    raw_list = data.get("conditions")
    if raw_list is None:
        return ()
    if not isinstance(raw_list, Sequence) or isinstance(raw_list, str):
        ctx.error("的 conditions 必须是列表", data, "conditions")
        return ()
    out: list[Condition] = []
    for index, raw in enumerate(raw_list):
        if not isinstance(raw, Mapping):
            ctx.error("的条件必须是映射", raw_list, index)
            continue
        ctx.unknown_keys(raw, _CONDITION_KEYS, "条件")
        name = _fact_ref(ctx, raw, "fact", facts, None)
        op = raw.get("op")
        if op not in CONDITION_OPS:
            ctx.error(f"的条件运算符 '{op}' 无效", raw, "op" if "op" in raw else None)
            continue
        if name is None:
            continue
        spec = facts[name]
        if spec.kind in ("bool", "tier", "text") and op not in ("==", "!="):
            ctx.error(f"的字段 {name} 只能用 == 或 != 比较", raw, "op")
            continue
        value, ok = _condition_value(ctx, spec, raw)
        text = raw.get("text")
        if text is not None and not isinstance(text, str):
            ctx.error("的条件说明 text 必须是文本", raw, "text")
            text = None
        if ok:
            out.append(Condition(fact=name, op=op, value=value, text=text))
    return tuple(out)


def _build_cap(ctx: _Ctx, data: Mapping[str, Any]) -> CumulativeCap | None:
    raw = data.get("cumulative_cap")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        ctx.error("的 cumulative_cap 必须是映射", data, "cumulative_cap")
        return None
    group = ctx.text(raw, "group", "累计上限")
    amount = ctx.amount(raw, "amount", "累计上限")
    return CumulativeCap(group=group, amount=amount)


def build_reward(
    raw: object, ctx: _Ctx, facts: Mapping[str, FactSpec], where: object, key: object
) -> RewardRule | None:
    if not isinstance(raw, Mapping):
        ctx.error("的奖励规则必须是映射", where, key)
        return None
    kind = raw.get("kind")
    if kind not in REWARD_KINDS:
        ctx.error(f"的奖励类型 '{kind}' 无效", raw, "kind" if "kind" in raw else None)
        return None
    ctx.unknown_keys(raw, _REWARD_KEYS[kind], "奖励规则")
    label = raw.get("label")
    if label is not None and not isinstance(label, str):
        ctx.error("的奖励规则 label 必须是文本", raw, "label")
        label = None
    conditions = _build_conditions(ctx, raw, facts)
    cap = _build_cap(ctx, raw)
    common: dict[str, Any] = {"label": label, "conditions": conditions, "cumulative_cap": cap}
    if kind == "fixed":
        return FixedReward(amount=ctx.amount(raw, "amount", "奖励规则"), **common)
    if kind == "ceiling":
        return CeilingReward(amount=ctx.amount(raw, "amount", "奖励规则"), **common)
    if kind == "per_item":
        mode = raw.get("mode", "fixed")
        if mode not in ("fixed", "ceiling"):
            ctx.error(f"的 per_item 模式 '{mode}' 无效（fixed 或 ceiling）", raw, "mode")
            mode = "fixed"
        return PerItemReward(
            amount=ctx.amount(raw, "amount", "奖励规则"),
            count_fact=_fact_ref(ctx, raw, "count_fact", facts, frozenset({"count"})) or "",
            mode=mode,
            item_label=ctx.text(raw, "item_label", "奖励规则", required=False) or "每项",
            unit=ctx.text(raw, "unit", "奖励规则", required=False) or "项",
            **common,
        )
    if kind in ("proportional", "matching"):
        base = _fact_ref(ctx, raw, "base_fact", facts, frozenset({"money"})) or ""
        ratio = to_decimal(raw.get("ratio"))
        if ratio is None or not (0 < ratio <= 1):
            ctx.error(f"的比例 ratio 须在 0 到 1 之间：{raw.get('ratio')!r}", raw, "ratio")
            ratio = Decimal(0)
        if kind == "matching":
            if raw.get("mode", "ceiling") != "ceiling":
                ctx.error(f"的 matching 模式 '{raw.get('mode')}' 无效（仅 ceiling）", raw, "mode")
            return MatchingReward(base_fact=base, ratio=ratio, **common)
        cap_amount = None if raw.get("cap") is None else ctx.amount(raw, "cap", "奖励规则")
        return ProportionalReward(
            base_fact=base,
            ratio=ratio,
            cap=cap_amount,
            ratio_is_default=ctx.flag(raw, "ratio_is_default", "奖励规则", False),
            **common,
        )
    if kind == "unspecified":
        note = raw.get("note")
        if note is not None and not isinstance(note, str):
            ctx.error("的 note 必须是文本", raw, "note")
            note = None
        base_fact = _fact_ref(ctx, raw, "base_fact", facts, None, required=False)
        return UnspecifiedReward(note=note, base_fact=base_fact, **common)
    # tiered
    tier_fact = _fact_ref(ctx, raw, "tier_fact", facts, None)
    if tier_fact is not None and facts[tier_fact].kind != "tier":
        ctx.error(f"的 tier_fact '{tier_fact}' 不是等级字段（kind: tier）", raw, "tier_fact")
        tier_fact = None
    if tier_fact is not None and not facts[tier_fact].required:
        ctx.error(f"的 tier_fact '{tier_fact}' 必须是必填字段", raw, "tier_fact")
    raw_tiers = raw.get("tiers")
    if not isinstance(raw_tiers, Mapping) or not raw_tiers:
        ctx.error("的分级奖励缺少 tiers 映射", raw, "tiers" if "tiers" in raw else None)
        return None
    tiers: list[tuple[str, RewardRule]] = []
    choice_values = [c.value for c in facts[tier_fact].choices] if tier_fact else []
    for tier_value, sub in raw_tiers.items():
        if tier_fact is not None and tier_value not in choice_values:
            ctx.error(
                f"的等级 '{tier_value}' 不在字段 {tier_fact} 的选项中"
                f"（可选：{'、'.join(choice_values)}）",
                raw_tiers,
                tier_value,
            )
        built = build_reward(sub, ctx, facts, raw_tiers, tier_value)
        if built is not None:
            tiers.append((str(tier_value), built))
    for value in choice_values:
        if value not in raw_tiers:
            ctx.error(f"的等级选项 '{value}' 没有对应的奖励规则", raw, "tiers")
    return TieredReward(tier_fact=tier_fact or "", tiers=tuple(tiers), **common)


def _cap_groups(rule: RewardRule) -> set[str]:
    groups = {rule.cumulative_cap.group} if rule.cumulative_cap else set()
    if isinstance(rule, TieredReward):
        for _, sub in rule.tiers:
            groups |= _cap_groups(sub)
    return groups


def build_clause(
    data: object,
    report: Reporter,
    *,
    measure_number: int | None = None,
    where: object = None,
    key: object = None,
) -> ClauseRule | None:
    """Validate one clause dict; report every problem; return None if any was found.

    `measure_number` is given by the catalogue parser (clauses sit inside their measure);
    snapshots from `to_dict()` carry it themselves.
    """
    if not isinstance(data, Mapping):
        report("条款定义必须是映射", where, key)
        return None
    raw_code = data.get("code")
    code = raw_code if isinstance(raw_code, str) else "?"
    ctx = _Ctx(report, code)
    if raw_code is None:
        ctx.error("缺少必填项 'code'", data, None)
    else:
        match = CLAUSE_CODE_RE.match(code)
        if not match:
            ctx.error(
                "的编码无效（须为 M两位数字-大写字母数字，如 M02-SPECIALISED-SME）", data, "code"
            )
    allowed = _CLAUSE_KEYS if measure_number is None else _CLAUSE_KEYS - {"measure_number"}
    ctx.unknown_keys(data, allowed, "定义")
    number = measure_number if measure_number is not None else data.get("measure_number")
    if not isinstance(number, int) or isinstance(number, bool):
        ctx.error("缺少有效的 measure_number", data, "measure_number")
        number = 0
    elif CLAUSE_CODE_RE.match(code) and int(code[1:3]) != number:
        ctx.error(f"的编码与措施编号 {number} 不符", data, "code")
    title = ctx.text(data, "title", "定义")

    raw_types = data.get("applicant_types")
    applicant_types: tuple[str, ...] = ()
    if not isinstance(raw_types, Sequence) or isinstance(raw_types, str) or not raw_types:
        ctx.error("缺少申报主体 applicant_types", data, "applicant_types" if raw_types else None)
    else:
        for index, item in enumerate(raw_types):
            if item not in APPLICANT_TYPE_LABELS:
                ctx.error(f"的申报主体 '{item}' 无效", raw_types, index)
        applicant_types = tuple(str(t) for t in raw_types)

    department = ctx.text(data, "department", "定义")
    if department and department not in DEPARTMENTS:
        ctx.error(f"的审核部门 '{department}' 不是规范部门名称", data, "department")

    facts: dict[str, FactSpec] = {}
    raw_facts = data.get("facts")
    if not isinstance(raw_facts, Sequence) or isinstance(raw_facts, str):
        ctx.error("缺少字段列表 facts", data, "facts" if "facts" in data else None)
        raw_facts = []
    for index, raw_fact in enumerate(raw_facts):
        spec = _build_fact(raw_fact, ctx, raw_facts, index)
        if spec is None:
            continue
        if spec.name in facts:
            ctx.error(f"的字段名 '{spec.name}' 重复", raw_fact, "name")
        facts[spec.name] = spec

    event_date_fact = _fact_ref(
        ctx, data, "event_date_fact", facts, frozenset({"date"}), required=False
    )
    event_note = data.get("event_note")
    if event_note is not None and not isinstance(event_note, str):
        ctx.error("的 event_note 必须是文本", data, "event_note")
        event_note = None
    basis_fact = _fact_ref(ctx, data, "basis_fact", facts, None, required=False)

    reward: RewardRule | None = None
    if "reward" not in data:
        ctx.error("缺少奖励规则 reward", data, None)
    else:
        reward = build_reward(data["reward"], ctx, facts, data, "reward")

    materials: list[Material] = []
    raw_materials = data.get("materials", [])
    if not isinstance(raw_materials, Sequence) or isinstance(raw_materials, str):
        ctx.error("的 materials 必须是列表", data, "materials")
        raw_materials = []
    for index, raw_material in enumerate(raw_materials):
        if not isinstance(raw_material, Mapping):
            ctx.error("的材料定义必须是映射", raw_materials, index)
            continue
        ctx.unknown_keys(raw_material, _MATERIAL_KEYS, "材料定义")
        material_code = ctx.text(raw_material, "code", "材料定义")
        if material_code and not MATERIAL_CODE_RE.match(material_code):
            ctx.error(f"的材料编码 '{material_code}' 无效", raw_material, "code")
        if any(m.code == material_code for m in materials):
            ctx.error(f"的材料编码 '{material_code}' 重复", raw_material, "code")
        materials.append(
            Material(
                code=material_code,
                label=ctx.text(raw_material, "label", "材料定义"),
                required=ctx.flag(raw_material, "required", "材料定义", True),
            )
        )
    if not any(m.code == PLEDGE_CODE for m in materials):
        ctx.error("的材料清单缺少承诺书（code: PLEDGE）", data, "materials")

    first_time = ctx.flag(data, "first_time", "定义", False)
    one_time = ctx.flag(data, "one_time", "定义", False)
    group = data.get("group")
    if group is not None and (not isinstance(group, str) or not group):
        ctx.error("的 group 必须是非空文本", data, "group")
        group = None
    if reward is not None and first_time:
        other = _cap_groups(reward) - {group or code}
        if other:
            ctx.error(
                f"的首次奖励分组与累计上限分组 {'、'.join(sorted(other))} 不一致", data, "group"
            )

    period_fact = _fact_ref(
        ctx, data, "period_fact", facts, frozenset({"count", "text"}), required=False
    )
    items_fact = _fact_ref(ctx, data, "items_fact", facts, frozenset({"text"}), required=False)
    requires: list[str] = []
    raw_requires = data.get("requires") or []
    if not isinstance(raw_requires, Sequence) or isinstance(raw_requires, str):
        ctx.error("的 requires 必须是列表", data, "requires")
        raw_requires = []
    for index, item in enumerate(raw_requires):
        if item not in PROFILE_ATTRIBUTES:
            known = "、".join(PROFILE_ATTRIBUTES)
            ctx.error(f"的 requires 项 '{item}' 无效（可选：{known}）", raw_requires, index)
        else:
            requires.append(item)

    if ctx.failed or reward is None:
        return None
    return ClauseRule(
        code=code,
        title=title,
        measure_number=number,
        applicant_types=applicant_types,
        department=department,
        facts=tuple(facts.values()),
        reward=reward,
        event_date_fact=event_date_fact,
        event_note=event_note,
        basis_fact=basis_fact,
        materials=tuple(materials),
        first_time=first_time,
        one_time=one_time,
        group=group,
        period_fact=period_fact,
        items_fact=items_fact,
        requires=tuple(requires),
    )


__all__ = [
    "APPLICANT_TYPE_LABELS",
    "CENT",
    "DEPARTMENTS",
    "PROFILE_ATTRIBUTES",
    "AmountKind",
    "ApplicantType",
    "CeilingReward",
    "ClauseRule",
    "Condition",
    "CumulativeCap",
    "Evaluation",
    "FactSpec",
    "FactsError",
    "FixedReward",
    "MatchingReward",
    "Material",
    "PerItemReward",
    "PriorAward",
    "ProportionalReward",
    "RewardRule",
    "RuleDefinitionError",
    "TierChoice",
    "TieredReward",
    "UnspecifiedReward",
    "build_clause",
    "format_amount_wan",
    "quantize_money",
    "to_decimal",
]

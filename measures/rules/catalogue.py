"""Parse the versioned policy catalogue file (YAML) into typed objects, with line numbers.

`yaml.compose` keeps every node's position, so each problem is reported as "第N行：…".
Scalars are converted without ever producing a float: YAML floats become Decimals.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from measures.rules.types import DEPARTMENTS, ClauseRule, build_clause

MEASURE_NUMBERS = tuple(range(1, 26))
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available; same marks


REVIEW_STAGES = ("county_review", "department_review")


class CatalogueError(ValueError):
    """The catalogue file is invalid; `errors` lists every problem with its line."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: list[str] = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True, slots=True)
class PolicyDef:
    code: str
    document_number: str
    title: str
    issuer: str
    issued: date
    valid_from: date
    valid_to: date
    general_rules: tuple[str, ...] = ()

    @property
    def validity(self) -> tuple[date, date]:
        return (self.valid_from, self.valid_to)


@dataclass(frozen=True, slots=True)
class SectionDef:
    number: int
    title: str


@dataclass(frozen=True, slots=True)
class MeasureDef:
    number: int
    section: int
    title: str
    text: str
    departments: tuple[str, ...]
    other_responsible: tuple[str, ...]
    monetary: bool
    offer: str | None
    clauses: tuple[ClauseRule, ...]
    departments_open_ended: bool = False  # the text lists departments followed by "等"
    # Review levels before approval; parks' and counties' own clauses skip the county level.
    review_stages: tuple[str, ...] = ("county_review", "department_review")


@dataclass(frozen=True, slots=True)
class Catalogue:
    policy: PolicyDef
    sections: tuple[SectionDef, ...]
    measures: tuple[MeasureDef, ...]

    def clauses(self) -> Iterator[ClauseRule]:
        for measure in self.measures:
            yield from measure.clauses

    def clause(self, code: str) -> ClauseRule:
        for rule in self.clauses():
            if rule.code == code:
                return rule
        raise KeyError(code)

    def measure(self, number: int) -> MeasureDef:
        for measure in self.measures:
            if measure.number == number:
                return measure
        raise KeyError(number)


# --------------------------------------------------------------------------------------------
# YAML nodes → plain values that remember their lines


class _Map(dict[str, Any]):
    line: int
    lines: dict[str, int]


class _Seq(list[Any]):
    line: int
    lines: list[int]


_constructor = SafeConstructor()
MAX_YAML_CHARS = 5_000_000
_TAG = "tag:yaml.org,2002:"


def _scalar(node: ScalarNode, errors: list[str]) -> Any:
    tag = node.tag
    line = node.start_mark.line + 1
    if tag == _TAG + "str":
        return node.value
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        return _constructor.construct_yaml_bool(node)
    if tag == _TAG + "int":
        return _constructor.construct_yaml_int(node)
    if tag == _TAG + "float":
        try:
            number = Decimal(node.value.replace("_", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            errors.append(f"第{line}行：无效的数字 '{node.value}'")
            return None
        return number
    if tag == _TAG + "timestamp":
        try:
            return date.fromisoformat(node.value)
        except ValueError:
            errors.append(f"第{line}行：日期须为 YYYY-MM-DD：'{node.value}'")
            return None
    return node.value


def _plain(node: Node, errors: list[str], seen: set[int] | None = None) -> Any:
    """Python values with line numbers kept; a node met twice is a YAML alias: refused.

    Refusing aliases while walking the composed graph (which shares aliased nodes) means an
    alias bomb is refused at its first alias, before anything is expanded.
    """
    seen = set() if seen is None else seen
    if id(node) in seen:
        errors.append(
            f"第{node.start_mark.line + 1}行：不支持 YAML 别名（&锚点 / *引用），请直接写出内容"
        )
        return None
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        return _scalar(node, errors)
    if isinstance(node, SequenceNode):
        seq = _Seq()
        seq.line = node.start_mark.line + 1
        seq.lines = []
        for item in node.value:
            seq.append(_plain(item, errors, seen))
            seq.lines.append(item.start_mark.line + 1)
        return seq
    if isinstance(node, MappingNode):
        mapping = _Map()
        mapping.line = node.start_mark.line + 1
        mapping.lines = {}
        for key_node, value_node in node.value:
            key = _plain(key_node, errors, seen)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int):
                errors.append(f"第{line}行：键必须是文本")
                continue
            key = str(key)
            if key in mapping:
                errors.append(f"第{line}行：重复的键 '{key}'")
                continue
            mapping[key] = _plain(value_node, errors, seen)
            mapping.lines[key] = value_node.start_mark.line + 1
        return mapping
    return None


def compose_yaml(text: str) -> tuple[Any, list[str]]:
    """Parse YAML text into plain values with line numbers; raise CatalogueError on syntax."""
    if len(text) > MAX_YAML_CHARS:
        raise CatalogueError([f"文件过大（超过 {MAX_YAML_CHARS // 1_000_000} MB 字符）"])
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"第{mark.line + 1}行：" if mark is not None else ""
        raise CatalogueError([f"{where}YAML语法错误：{exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise CatalogueError([f"YAML语法错误：{exc}"]) from None
    errors: list[str] = []
    return (None if root is None else _plain(root, errors)), errors


def parse_rule_text(text: str) -> dict[str, Any]:
    """The admin's rule editor: the same checks as the catalogue file, with line numbers.

    Returns the rule as plain JSON-able data (as `yaml.safe_load` gives it) for storage.
    """
    data, errors = compose_yaml(text)
    if errors:
        raise CatalogueError(errors)
    if not isinstance(data, _Map):
        raise CatalogueError(["第1行：规则必须是一个映射（键: 值）"])
    build_clause(data, _Errors(errors))
    if errors:
        raise CatalogueError(errors)
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader; aliases refused above)


def _line_of(where: object, key: object) -> int | None:
    if isinstance(where, _Map):
        if isinstance(key, str) and key in where.lines:
            return where.lines[key]
        return where.line
    if isinstance(where, _Seq):
        if isinstance(key, int) and 0 <= key < len(where.lines):
            return where.lines[key]
        return where.line
    return None


class _Errors:
    def __init__(self, errors: list[str]) -> None:
        self.items = errors

    def __call__(self, message: str, where: object = None, key: object = None) -> None:
        line = _line_of(where, key)
        self.items.append(f"第{line}行：{message}" if line else message)


# --------------------------------------------------------------------------------------------
# Structure checks


def _require(
    data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str, report: _Errors
) -> Any:
    if key not in data or data[key] is None:
        report(f"{what}缺少必填项 '{key}'", data, None)
        return None
    value = data[key]
    if isinstance(value, bool) and kind is not bool:
        report(f"{what}的 '{key}' 类型无效", data, key)
        return None
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        report(f"{what}的 '{key}' 类型无效", data, key)
        return None
    return value


def _str_list(
    data: Mapping[str, Any], key: str, what: str, report: _Errors, *, required: bool
) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        if required:
            report(f"{what}缺少必填项 '{key}'", data, None)
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        report(f"{what}的 '{key}' 必须是文本列表", data, key)
        return ()
    return tuple(value)


def _parse_policy(data: Any, report: _Errors) -> PolicyDef | None:
    if not isinstance(data, Mapping):
        report("缺少 policy 映射", data, None)
        return None
    values: dict[str, Any] = {}
    for key in ("code", "document_number", "title", "issuer"):
        values[key] = _require(data, key, str, "policy ", report)
    for key in ("issued", "valid_from", "valid_to"):
        values[key] = _require(data, key, date, "policy ", report)
    rules = _str_list(data, "general_rules", "policy ", report, required=False)
    if any(v is None for v in values.values()):
        return None
    if values["valid_from"] > values["valid_to"]:
        report("policy 的 valid_from 晚于 valid_to", data, "valid_from")
        return None
    return PolicyDef(general_rules=rules, **values)


def _parse_sections(data: Any, report: _Errors) -> tuple[SectionDef, ...]:
    if not isinstance(data, list) or not data:
        report("缺少 sections 列表", data, None)
        return ()
    sections: list[SectionDef] = []
    for index, raw in enumerate(data):
        if not isinstance(raw, Mapping):
            report("章节定义必须是映射", data, index)
            continue
        number = _require(raw, "number", int, "章节", report)
        title = _require(raw, "title", str, "章节", report)
        if number is None or title is None:
            continue
        if any(s.number == number for s in sections):
            report(f"章节编号 {number} 重复", raw, "number")
            continue
        sections.append(SectionDef(number=number, title=title))
    return tuple(sections)


def _parse_measure(
    raw: Any,
    sections: set[int],
    seen_codes: dict[str, int],
    report: _Errors,
    where: object,
    index: int,
) -> MeasureDef | None:
    if not isinstance(raw, Mapping):
        report("措施定义必须是映射", where, index)
        return None
    allowed = {
        "number", "section", "title", "text", "departments", "departments_open_ended",
        "other_responsible", "monetary", "offer", "clauses", "review_stages",
    }  # fmt: skip
    for key in raw:
        if key not in allowed:
            report(f"措施定义含未知字段 '{key}'", raw, key)
    number = _require(raw, "number", int, "措施", report)
    what = f"措施 {number} " if number is not None else "措施"
    section = _require(raw, "section", int, what, report)
    if section is not None and section not in sections:
        report(f"{what}的章节 {section} 不存在", raw, "section")
    title = _require(raw, "title", str, what, report)
    text = _require(raw, "text", str, what, report)
    departments = _str_list(raw, "departments", what, report, required=True)
    for dept in departments:
        if dept not in DEPARTMENTS:
            report(f"{what}的部门 '{dept}' 不是规范部门名称", raw, "departments")
    other = _str_list(raw, "other_responsible", what, report, required=False)
    open_ended = raw.get("departments_open_ended", False)
    if not isinstance(open_ended, bool):
        report(
            f"{what}的 'departments_open_ended' 必须是 true 或 false", raw, "departments_open_ended"
        )
        open_ended = False
    monetary = _require(raw, "monetary", bool, what, report)
    stages = _str_list(raw, "review_stages", what, report, required=False) or REVIEW_STAGES
    if not stages or any(stage not in REVIEW_STAGES for stage in stages):
        report(
            f"{what}的 'review_stages' 只能是 county_review、department_review",
            raw,
            "review_stages",
        )
        stages = REVIEW_STAGES
    offer = raw.get("offer")
    if offer is not None and (not isinstance(offer, str) or not offer.strip()):
        report(f"{what}的 'offer' 必须是文本", raw, "offer")
        offer = None
    raw_clauses = raw.get("clauses")
    clauses: list[ClauseRule] = []
    if monetary is False:
        if offer is None:
            report(f"{what}为非资金措施，须填写 offer", raw, None)
        if raw_clauses:
            report(f"{what}为非资金措施，不应有 clauses", raw, "clauses")
    elif monetary is True:
        if not isinstance(raw_clauses, list) or not raw_clauses:
            report(
                f"{what}为资金措施，至少需要一个条款（clauses）",
                raw,
                "clauses" if "clauses" in raw else "monetary",
            )
            raw_clauses = []
        for clause_index, raw_clause in enumerate(raw_clauses):
            before = len(report.items)
            rule = build_clause(
                raw_clause,
                report,
                measure_number=number if number is not None else 0,
                where=raw_clauses,
                key=clause_index,
            )
            code = raw_clause.get("code") if isinstance(raw_clause, Mapping) else None
            if isinstance(code, str):
                if code in seen_codes:
                    report(
                        f"条款编码 {code} 重复（已在第{seen_codes[code]}行定义）",
                        raw_clause,
                        "code",
                    )
                else:
                    seen_codes[code] = _line_of(raw_clause, "code") or 0
            if rule is None or len(report.items) > before:
                continue
            if rule.department not in departments:
                report(
                    f"条款 {rule.code} 的审核部门 {rule.department} 不在措施 {number} 的责任部门中",
                    raw_clause,
                    "department",
                )
                continue
            clauses.append(rule)
    if None in (number, section, title, text, monetary):
        return None
    return MeasureDef(
        number=number,
        section=section,
        title=title,
        text=text,
        departments=departments,
        other_responsible=other,
        monetary=monetary,
        offer=offer,
        clauses=tuple(clauses),
        departments_open_ended=open_ended,
        review_stages=tuple(stages),
    )


def parse_catalogue(text: str) -> Catalogue:
    """Parse and validate catalogue YAML; raise CatalogueError listing every problem."""
    data, errors = compose_yaml(text)
    if data is None and not errors:
        raise CatalogueError(["目录文件为空"])
    report = _Errors(errors)
    if not isinstance(data, _Map):
        raise CatalogueError([*errors, "第1行：目录文件顶层必须是映射"])
    for key in data:
        if key not in ("policy", "sections", "measures"):
            report(f"顶层含未知字段 '{key}'", data, key)

    policy = _parse_policy(data.get("policy"), report) if "policy" in data else None
    if "policy" not in data:
        report("缺少必填项 'policy'", data, None)
    sections = _parse_sections(data.get("sections"), report) if "sections" in data else ()
    if "sections" not in data:
        report("缺少必填项 'sections'", data, None)

    raw_measures = data.get("measures")
    measures: list[MeasureDef] = []
    if not isinstance(raw_measures, list):
        report("缺少 measures 列表", data, "measures" if "measures" in data else None)
        raw_measures = []
    section_numbers = {s.number for s in sections}
    seen_codes: dict[str, int] = {}
    numbers_seen: dict[int, int] = {}
    for index, raw in enumerate(raw_measures):
        measure = _parse_measure(raw, section_numbers, seen_codes, report, raw_measures, index)
        number = raw.get("number") if isinstance(raw, Mapping) else None
        if isinstance(number, int) and not isinstance(number, bool):
            if number in numbers_seen:
                report(f"措施编号 {number} 重复", raw, "number")
            elif number not in MEASURE_NUMBERS:
                report(f"措施编号 {number} 超出范围（须为1至25）", raw, "number")
            numbers_seen.setdefault(number, index)
        if measure is not None:
            measures.append(measure)
    missing = [n for n in MEASURE_NUMBERS if n not in numbers_seen]
    if missing and isinstance(raw_measures, list):
        report(
            f"措施编号必须恰好为1至25，缺少：{'、'.join(str(n) for n in missing)}",
            data,
            "measures",
        )
    if errors:
        raise CatalogueError(errors)
    assert policy is not None
    return Catalogue(
        policy=policy,
        sections=sections,
        measures=tuple(sorted(measures, key=lambda m: m.number)),
    )


def load_catalogue_file(path: str | Path) -> Catalogue:
    """Read a catalogue file (UTF-8) and parse it."""
    return parse_catalogue(Path(path).read_text(encoding="utf-8"))


__all__ = [
    "Catalogue",
    "CatalogueError",
    "MeasureDef",
    "PolicyDef",
    "SectionDef",
    "compose_yaml",
    "load_catalogue_file",
    "parse_catalogue",
    "parse_rule_text",
]

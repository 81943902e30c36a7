"""The real catalogue file parses, matches the policy, and invalid files fail with line numbers."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from measures.rules import (
    DEPARTMENTS,
    CatalogueError,
    ClauseRule,
    RuleDefinitionError,
    load_catalogue_file,
    parse_catalogue,
)
from measures.rules.types import CLAUSE_CODE_RE

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_PATH = ROOT / "measures" / "catalogue" / "xianyang-2025.yaml"
CATALOGUE_TEXT = CATALOGUE_PATH.read_text(encoding="utf-8")
CATALOGUE = parse_catalogue(CATALOGUE_TEXT)
POLICY_TEXT = Path("/work/shared/policy/xianyang-measures-2025.txt")
ALL_CLAUSES = list(CATALOGUE.clauses())


def test_policy_header() -> None:
    policy = CATALOGUE.policy
    assert policy.code == "xianyang-2025"
    assert policy.document_number == "咸工信发〔2025〕70号"
    assert policy.issuer == "咸阳市工业和信息化局"
    assert policy.issued == date(2025, 6, 30)
    assert policy.validity == (date(2025, 6, 30), date(2025, 12, 31))


def test_measures_and_sections() -> None:
    assert [m.number for m in CATALOGUE.measures] == list(range(1, 26))
    assert [s.number for s in CATALOGUE.sections] == list(range(1, 8))
    assert {m.section for m in CATALOGUE.measures} == set(range(1, 8))
    non_monetary = {m.number for m in CATALOGUE.measures if not m.monetary}
    assert non_monetary == {8, 9, 21, 22, 23, 25}
    for measure in CATALOGUE.measures:
        if measure.monetary:
            assert measure.clauses, measure.number
            assert measure.offer is None
        else:
            assert not measure.clauses
            assert measure.offer
        assert set(measure.departments) <= set(DEPARTMENTS)
    assert 40 <= len(ALL_CLAUSES) <= 50


def test_measure_text_is_copied_from_the_policy() -> None:
    if not POLICY_TEXT.exists():
        pytest.skip("shared policy text not available")
    lines = {}
    for line in POLICY_TEXT.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(\d+)\.(.*)$", line)
        if match:
            lines[int(match.group(1))] = match.group(2)
    for measure in CATALOGUE.measures:
        assert measure.text == lines[measure.number]
        assert measure.text.startswith(measure.title + "。")
        responsible = re.search(r"（?\(([^()]*)按职责分工负责\)", measure.text)
        assert responsible, measure.number
        named = responsible.group(1).removesuffix("等").split("、")
        assert [n for n in named if n in DEPARTMENTS] == list(measure.departments)
        assert [n for n in named if n not in DEPARTMENTS] == list(measure.other_responsible)
        assert measure.departments_open_ended == responsible.group(1).endswith("等")


def test_clause_shapes() -> None:
    codes = [rule.code for rule in ALL_CLAUSES]
    assert len(codes) == len(set(codes))
    for rule in ALL_CLAUSES:
        assert CLAUSE_CODE_RE.match(rule.code)
        assert int(rule.code[1:3]) == rule.measure_number
        assert rule.department in CATALOGUE.measure(rule.measure_number).departments
        assert "PLEDGE" in {m.code for m in rule.materials}
        assert rule.basis_fact is not None
        assert rule.event_date_fact is not None or rule.event_note, rule.code
    reviewers = {rule.code: rule.department for rule in ALL_CLAUSES}
    assert reviewers["M01-TECH-CONTRACT-TURNOVER"] == "市科技局"
    assert reviewers["M19-INVESTMENT-ATTRACTION"] == "市招商局"
    assert reviewers["M06-DCMM"] == "市数据局"
    assert reviewers["M14-GREEN-DESIGN-PRODUCT"] == "市工信局"


@pytest.mark.parametrize("rule", ALL_CLAUSES, ids=[rule.code for rule in ALL_CLAUSES])
def test_clause_round_trips_through_json(rule: ClauseRule) -> None:
    snapshot = json.loads(json.dumps(rule.to_dict(), ensure_ascii=False))
    rebuilt = ClauseRule.from_dict(snapshot)
    assert rebuilt == rule
    assert rebuilt.to_dict() == rule.to_dict()


def test_from_dict_rejects_a_broken_snapshot() -> None:
    data = CATALOGUE.clause("M02-SPECIALISED-SME").to_dict()
    data["reward"]["tiers"]["national"]["amount"] = "-1"
    with pytest.raises(RuleDefinitionError) as caught:
        ClauseRule.from_dict(data)
    assert "金额不能为负数" in str(caught.value)


def test_load_catalogue_file_equals_parse() -> None:
    assert load_catalogue_file(CATALOGUE_PATH) == CATALOGUE


# --------------------------------------------------------------------------- invalid files


def mutate(old: str, new: str) -> tuple[str, int]:
    """Replace the first line equal to `old`; return the text and that line's number."""
    lines = CATALOGUE_TEXT.split("\n")
    index = lines.index(old)
    lines[index] = new
    return "\n".join(lines), index + 1


INVALID = [
    (
        "unknown-reward-kind",
        "        reward: {kind: fixed, amount: 50000, label: 省级“工业精品”}",
        "        reward: {kind: fixd, amount: 50000, label: 省级“工业精品”}",
        "条款 M03-INDUSTRIAL-BOUTIQUE 的奖励类型 'fixd' 无效",
    ),
    (
        "yaml-syntax",
        "    title: 引导企业加大研发投入",
        "    title: 引导企业: 加大: [研发投入",
        "YAML语法错误",
    ),
    (
        "unknown-fact-kind",
        "          - {name: turnover_2024, kind: money, label: 2024年技术合同成交额}",
        "          - {name: turnover_2024, kind: monee, label: 2024年技术合同成交额}",
        "字段 turnover_2024 类型 'monee' 无效",
    ),
    (
        "tier-fact-not-tier",
        "          tier_fact: scope",
        "          tier_fact: product_name",
        "tier_fact 'product_name' 不是等级字段",
    ),
    (
        "tier-value-not-a-choice",
        "            leading: {kind: ceiling, amount: 800000, label: 领航级智能工厂}",
        "            pilot: {kind: ceiling, amount: 800000, label: 领航级智能工厂}",
        "等级 'pilot' 不在字段 level 的选项中",
    ),
    (
        "duplicate-clause-code",
        "      - code: M02-QUALITY-BENCHMARK",
        "      - code: M02-TECH-INNOVATION-DEMO",
        "条款编码 M02-TECH-INNOVATION-DEMO 重复",
    ),
    (
        "measure-number-out-of-range",
        "  - number: 25",
        "  - number: 26",
        "措施编号 26 超出范围",
    ),
    (
        "duplicate-measure-number",
        "  - number: 25",
        "  - number: 24",
        "措施编号 24 重复",
    ),
    (
        "monetary-without-clauses",
        "    monetary: false",
        "    monetary: true",
        "措施 8 为资金措施，至少需要一个条款",
    ),
    (
        "unknown-count-fact",
        "          count_fact: product_count",
        "          count_fact: products",
        "count_fact 'products' 不是已定义的字段",
    ),
    (
        "unknown-base-fact",
        "          base_fact: turnover_2024",
        "          base_fact: turnover",
        "base_fact 'turnover' 不是已定义的字段",
    ),
    (
        "unknown-event-date-fact",
        "        event_date_fact: recognised_on",
        "        event_date_fact: recognized_on",
        "event_date_fact 'recognized_on' 不是已定义的字段",
    ),
    (
        "event-date-fact-not-a-date",
        "        event_date_fact: recognised_on",
        "        event_date_fact: certificate_no",
        "event_date_fact 'certificate_no' 类型须为 date",
    ),
    (
        "unknown-basis-fact",
        "        basis_fact: region_name",
        "        basis_fact: region",
        "basis_fact 'region' 不是已定义的字段",
    ),
    (
        "negative-amount",
        "        reward: {kind: ceiling, amount: 1000000, label: 省级制造业创新中心}",
        "        reward: {kind: ceiling, amount: -1000000, label: 省级制造业创新中心}",
        "金额不能为负数",
    ),
    (
        "unknown-department",
        "        department: 市科技局",
        "        department: 科技局",
        "审核部门 '科技局' 不是规范部门名称",
    ),
    (
        "unknown-applicant-type",
        "        applicant_types: [investment_promoter]",
        "        applicant_types: [investor]",
        "申报主体 'investor' 无效",
    ),
    (
        "misspelt-reward-key",
        "          ratio: 0.02",
        "          ration: 0.02",
        "奖励规则含未知字段 'ration'",
    ),
    (
        "bad-clause-code",
        "      - code: M07-PRIVATE-ECONOMY-DEMO",
        "      - code: M07-private",
        "编码无效",
    ),
    (
        "duplicate-material",
        "          - {code: INTRODUCTION-PROOF, label: 招引关系证明材料, required: true}",
        "          - {code: INVESTMENT-AGREEMENT, label: 招引关系证明材料, required: true}",
        "条款 M19-INVESTMENT-ATTRACTION 的材料编码 'INVESTMENT-AGREEMENT' 重复",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_catalogue_reports_line(old: str, new: str, expected: str) -> None:
    text, line = mutate(old, new)
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text)
    matching = [e for e in caught.value.errors if expected in e]
    assert matching, caught.value.errors
    assert any(e.startswith(f"第{line}行：") for e in matching), caught.value.errors


def test_missing_key_is_reported_at_the_clause() -> None:
    text = CATALOGUE_TEXT.replace("        department: 市招商局\n", "", 1)
    clause_line = CATALOGUE_TEXT.split("\n").index("      - code: M19-INVESTMENT-ATTRACTION") + 1
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text)
    assert f"第{clause_line}行：条款 M19-INVESTMENT-ATTRACTION 的定义缺少必填项 'department'" in (
        caught.value.errors
    )


def test_missing_measure_numbers_and_empty_file() -> None:
    start = CATALOGUE_TEXT.index("  - number: 25")
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(CATALOGUE_TEXT[:start])
    assert any("缺少：25" in e for e in caught.value.errors)
    with pytest.raises(CatalogueError, match="目录文件为空"):
        parse_catalogue("")
    with pytest.raises(CatalogueError, match="第1行"):
        parse_catalogue("- just\n- a list\n")


def test_missing_pledge_material() -> None:
    old = "          - {code: PLEDGE, label: 承诺书（同一事项未通过其他渠道获得市级财政专项资金支持）, required: true}"
    lines = CATALOGUE_TEXT.split("\n")
    last = len(lines) - 1 - lines[::-1].index(old)  # measure 24's pledge
    del lines[last]
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue("\n".join(lines))
    assert any("M24-OPERATION-MONITORING" in e and "PLEDGE" in e for e in caught.value.errors)


def test_float_amounts_become_decimals() -> None:
    rule = CATALOGUE.clause("M03-NEW-MATERIAL-FIRST-BATCH")
    assert str(rule.reward.ratio) == "0.20"  # type: ignore[union-attr]

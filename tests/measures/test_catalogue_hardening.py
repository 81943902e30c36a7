"""Absurd numbers and YAML aliases in the catalogue and the admin's rule editor."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from measures.rules import CatalogueError, parse_catalogue
from measures.rules.catalogue import parse_rule_text

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "measures" / "catalogue" / "xianyang-2025.yaml").read_text(encoding="utf-8")
# Line 98 of the catalogue: "              amount: 200000" (measure 2's first tier ceiling).
AMOUNT_LINE = 98

BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
    + ["policy: *i"]
)  # 10^9 elements if expanded


def _replace_line(number: int, new: str) -> str:
    lines = TEXT.splitlines()
    assert lines[number - 1].strip() == "amount: 200000"
    lines[number - 1] = lines[number - 1].replace("200000", new)
    return "\n".join(lines)


@pytest.mark.parametrize("value", ["1e30", "1.0e+30", "NaN", ".nan", "infinity", ".inf", "-.inf"])
def test_absurd_amount_gets_a_line_numbered_error(value):
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(_replace_line(AMOUNT_LINE, value))
    assert any(e.startswith(f"第{AMOUNT_LINE}行") for e in info.value.errors), info.value.errors


def test_amount_beyond_a_money_column_is_refused():
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(_replace_line(AMOUNT_LINE, "1000000000000"))
    assert any(f"第{AMOUNT_LINE}行" in e and "过大" in e for e in info.value.errors)


def test_alias_bomb_is_refused_quickly_and_small():
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(BOMB)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert any("别名" in e and e.startswith("第") for e in info.value.errors)
    assert peak < 50 * 1024 * 1024
    assert elapsed < 1.0  # the bound; the walk stops at the first alias


RULE = """\
applicant_types: [enterprise]
facts:
  - {name: level, kind: tier, label: 等级, choices: [{value: a, label: A}]}
reward:
  kind: tiered
  fact: level
  tiers:
    a: {kind: ceiling, amount: %s, label: A}
materials:
  - {code: PLEDGE, label: 承诺书, required: true}
"""


def test_rule_editor_uses_the_same_checks():
    with pytest.raises(CatalogueError) as info:
        parse_rule_text(RULE % "1e30")
    assert any(e.startswith("第8行") for e in info.value.errors), info.value.errors
    with pytest.raises(CatalogueError) as info:
        parse_rule_text(BOMB)
    assert any("别名" in e for e in info.value.errors)
    one_alias = RULE.replace("applicant_types: [enterprise]", "applicant_types: &t [enterprise]")
    one_alias += "x: *t\n"
    with pytest.raises(CatalogueError) as info:
        parse_rule_text(one_alias % "1000")
    assert any("别名" in e for e in info.value.errors)

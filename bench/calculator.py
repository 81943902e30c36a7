"""Benchmark the policy calculator: every clause of the real catalogue for 10,000 organisations.

Facts, applicant types and earlier awards are generated with a fixed seed and cleaned before
timing; the timed loop only calls `evaluate` (the public API). Prints figures, not pass/fail.

    .venv/bin/python bench/calculator.py [--orgs N] [--runs R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reference import ref_s  # noqa: E402 - bench/ is the script's directory

from measures.rules import (  # noqa: E402 - needs the repo root on sys.path first
    APPLICANT_TYPE_LABELS,
    ClauseRule,
    FactSpec,
    PriorAward,
    clean_facts,
    evaluate,
    load_catalogue_file,
)
from measures.rules.types import TieredReward  # noqa: E402

CATALOGUE = ROOT / "measures" / "catalogue" / "xianyang-2025.yaml"
SEED = 20250630
APPLICANT_TYPES = tuple(APPLICANT_TYPE_LABELS)
DATE_FROM = date(2025, 5, 1)
DATE_SPAN = (date(2026, 2, 28) - DATE_FROM).days


def raw_value(spec: FactSpec, rng: random.Random, serial: int) -> Any:
    """A random valid form value (as a string, like a browser would send)."""
    if spec.kind == "tier":
        return rng.choice(spec.choices).value
    if spec.kind == "count":
        low = int(spec.min) if spec.min is not None else 0
        high = min(int(spec.max) if spec.max is not None else 20, low + 20)
        return str(rng.randint(low, high))
    if spec.kind == "money":
        cents = rng.randint(1, 5_000_000_000)  # up to 5000万元
        return f"{cents // 100}.{cents % 100:02d}"
    if spec.kind == "percent":
        return f"{Decimal(rng.randint(-2000, 5000)) / 100}"
    if spec.kind == "date":
        return (DATE_FROM + timedelta(days=rng.randint(0, DATE_SPAN))).isoformat()
    if spec.kind == "bool":
        return "是" if rng.random() < 0.8 else "否"
    return f"{spec.name}-{serial}"


def prior_awards(rules: list[ClauseRule], rng: random.Random) -> tuple[PriorAward, ...]:
    """About a third of organisations already hold one to three approved awards."""
    if rng.random() > 0.35:
        return ()
    awards = []
    for _ in range(rng.randint(1, 3)):
        rule = rng.choice(rules)
        tier = None
        group = rule.award_group if (rule.first_time or rule.group) else None
        if isinstance(rule.reward, TieredReward):
            tier, sub = rng.choice(rule.reward.tiers)
            if sub.cumulative_cap is not None:
                group = sub.cumulative_cap.group
        amount = Decimal(rng.choice((30000, 50000, 100000, 150000, 200000, 300000)))
        awards.append(PriorAward(rule.code, group, tier, amount, f"basis-{rng.randint(0, 50)}"))
    return tuple(awards)


def generate(rules: list[ClauseRule], orgs: int) -> list[tuple[str, tuple[PriorAward, ...], list]]:
    rng = random.Random(SEED)
    population = []
    for serial in range(orgs):
        facts = []
        for rule in rules:
            raw = {}
            for spec in rule.facts:
                if spec.required or rng.random() < 0.7:
                    raw[spec.name] = raw_value(spec, rng, rng.randint(0, 50))
            facts.append(clean_facts(rule, raw))
        population.append((rng.choice(APPLICANT_TYPES), prior_awards(rules, rng), facts))
        del serial
    return population


def run_once(rules: list[ClauseRule], population: list, validity: tuple[date, date]) -> tuple:
    eligible = 0
    start = time.perf_counter()
    for applicant_type, prior, facts_list in population:
        for rule, facts in zip(rules, facts_list, strict=True):
            result = evaluate(
                rule, facts, applicant_type=applicant_type, prior_awards=prior, validity=validity
            )
            eligible += result.eligible
    return time.perf_counter() - start, eligible


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    catalogue = load_catalogue_file(CATALOGUE)
    rules = list(catalogue.clauses())
    validity = catalogue.policy.validity
    population = generate(rules, args.orgs)
    evals = args.orgs * len(rules)

    reference = ref_s()
    timings = []
    eligible = 0
    for _ in range(args.runs):
        seconds, eligible = run_once(rules, population, validity)
        timings.append(seconds)
    median = statistics.median(timings)
    print(f"clauses: {len(rules)}")
    print(f"evals per run: {evals} (eligible: {eligible})")
    print("runs (s): " + " ".join(f"{t:.3f}" for t in timings))
    print(
        f"goal: seconds ≤ 5 × ref_s = {5 * reference:.3f}: "
        f"{'met' if median <= 5 * reference else 'NOT met'}"
    )
    print(
        f"calculator: orgs={args.orgs} seconds={median:.3f} per_eval_us={median / evals * 1e6:.2f} "
        f"ref_s={reference:.3f}"
    )


if __name__ == "__main__":
    main()

"""Demo policy data: the real 2025 catalogue and one open round with budgets."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from .models import Policy, Round, RoundBudget
from .rules.catalogue import parse_catalogue
from .services import policy_load_catalogue

CATALOGUE = Path(__file__).resolve().parent / "catalogue" / "xianyang-2025.yaml"
DEMO_ROUND = "2025年度奖励资金第一批申报"
DEMO_BUDGET_PER_MEASURE = Decimal("5000000.00")
DEMO_NOTICE_WORKING_DAYS = 0


def load_2025_policy() -> Policy:
    text = CATALOGUE.read_text(encoding="utf-8")
    return policy_load_catalogue(catalogue=parse_catalogue(text), source_text=text).policy


@transaction.atomic
def seed_policy_and_round(*, now: datetime | None = None, notice_working_days: int = 5) -> Round:
    """Idempotent: the 2025 policy and a round open around `now` covering every clause.

    `seed_demo` passes DEMO_NOTICE_WORKING_DAYS (0): the local demo's notice ends at the next
    periodic run, so a newcomer reaches the letter and payment in one sitting.
    """
    policy = load_2025_policy()
    now = now or timezone.now()
    tz = ZoneInfo("Asia/Shanghai")
    opens = datetime(now.year, now.month, 1, tzinfo=tz)
    round_, _ = Round.objects.get_or_create(
        policy=policy,
        name=DEMO_ROUND,
        defaults={
            "opens_at": opens,
            "closes_at": opens + timedelta(days=120),
            "notice_working_days": notice_working_days,
        },
    )
    round_.clauses.set(policy.clauses.all())
    for measure in policy.measures.filter(monetary=True):
        RoundBudget.objects.get_or_create(
            round=round_, measure=measure, defaults={"amount": DEMO_BUDGET_PER_MEASURE}
        )
    return round_

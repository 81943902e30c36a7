"""精准推送: the round-opening push over 10,000 organisation profiles.

Usage (from the repository root):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianyang_bench \\
        .venv/bin/python bench/push.py [ORGS]

Data: ORGS organisations, each with one member and one or two credentials (一企一档) for
measure 2 and measure 4 clauses; a tenth of them hold a credential dated before the policy
(not eligible) and a twentieth opted out. Timed: `round_push` (what the beat job runs when a
round opens): the calculator over every profile, one message per likely qualifier.
The notification emails are queued for a worker (in memory), not sent here.
Last line: `push: orgs=<n> seconds=<s> ref_s=<s>`. Goal (issue 15): seconds ≤ 10 × ref_s.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date

from common import bench_database, django_setup, ref_seconds

django_setup()

from django.conf import settings  # noqa: E402

settings.CELERY_TASK_ALWAYS_EAGER = False
from xianyang_portal.celery import app  # noqa: E402

app.conf.task_always_eager = False
app.conf.broker_url = "memory://"
RUNS = 3


def generate(n: int):
    from stdnum.cn import uscc

    from accounts.models import Membership, Organisation, Place, User
    from applications.models import Credential
    from integrations.models import PushPreference
    from measures.demo import seed_policy_and_round

    round_ = seed_policy_and_round()
    place = Place.objects.first()
    orgs = []
    for i in range(n):
        base = f"9161040{i:010d}"
        orgs.append(
            Organisation(
                uscc=base + uscc.calc_check_digit(base),
                legal_name=f"咸阳推送企业{i}有限公司",
                kind="enterprise",
                place=place,
                is_industrial=True,
            )
        )
    orgs = Organisation.objects.bulk_create(orgs)
    users = User.objects.bulk_create(User(username=f"bench_push_{i}") for i in range(n))
    Membership.objects.bulk_create(
        Membership(user=u, organisation=o) for u, o in zip(users, orgs, strict=True)
    )
    credentials = []
    for i, org in enumerate(orgs):
        on = date(2024, 3, 1) if i % 10 == 0 else date(2025, 8, 1)
        credentials.append(
            Credential(
                organisation=org,
                clause_code="M02-SPECIALISED-SME",
                title="专精特新",
                level="provincial",
                obtained_on=on,
                number=f"陕工信〔2025〕{i}号",
            )
        )
        if i % 2 == 0:
            credentials.append(
                Credential(
                    organisation=org,
                    clause_code="M04-SMART-FACTORY",
                    title="智能工厂",
                    level="advanced",
                    obtained_on=date(2025, 9, 1),
                    number=f"智能工厂{i}",
                )
            )
    Credential.objects.bulk_create(credentials, batch_size=5000)
    PushPreference.objects.bulk_create(
        PushPreference(organisation=o, opted_out=True) for o in orgs[::20]
    )
    return round_


def one_run(round_) -> tuple[float, int]:
    from accounts.models import Notification
    from integrations.models import PushRun
    from integrations.push import round_push

    PushRun.objects.all().delete()
    Notification.objects.all().delete()
    start = time.perf_counter()
    sent = round_push(round_id=round_.pk)
    return time.perf_counter() - start, sent


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with bench_database():
        round_ = generate(n)
        times = []
        for attempt in range(1, RUNS + 1):
            seconds, sent = one_run(round_)
            times.append(seconds)
            print(f"run {attempt}: {seconds:.2f} s, {sent} organisations messaged")
    seconds = statistics.median(times)
    ref_s = ref_seconds()
    print(f"median of {RUNS} runs: {seconds:.2f} s; reference loop {ref_s:.3f} s")
    print(f"goal ≤10 × ref_s = {10 * ref_s:.2f} s: {'met' if seconds <= 10 * ref_s else 'not met'}")
    print(f"push: orgs={n} seconds={seconds:.2f} ref_s={ref_s:.3f}")


if __name__ == "__main__":
    main()

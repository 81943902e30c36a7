"""免申即享: import a 10,000-row recognition list against 10,000 registered organisations.

Usage (from the repository root):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianyang_bench \\
        .venv/bin/python bench/recognition_import.py [ROWS]

Timed: `recognition_list_import` (the service the page and both APIs call) on a CSV of ROWS
rows, every row matching a registered organisation with one member: reading and checking the
file, matching, creating the pre-filled drafts, the row records, the notifications and the
audit event (the notification emails are queued for a worker, not sent). Each run imports into a fresh clause state (the previous run's drafts removed).
The last line is machine-readable: `recognition_import: rows=<n> seconds=<s> ref_s=<s>`.
Goal (issue 15): seconds ≤ 4 × ref_s.
With BENCH_PROFILE=<file>, one extra untimed run is profiled with cProfile into <file>.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from common import bench_database, django_setup, ref_seconds

django_setup()

from django.conf import settings  # noqa: E402

# Emails are a worker's job, not the import's: queue them (in memory) instead of sending here.
settings.CELERY_TASK_ALWAYS_EAGER = False
from xianyang_portal.celery import app  # noqa: E402

app.conf.task_always_eager = False
app.conf.broker_url = "memory://"

RUNS = 3


def generate(n: int) -> tuple[bytes, object]:
    from stdnum.cn import uscc

    from accounts.models import Membership, Organisation, Place, Role, RoleAssignment, User
    from measures.demo import seed_policy_and_round

    seed_policy_and_round()
    admin = User.objects.create_user("bench_policy", full_name="政策科 基准")
    RoleAssignment.objects.create(user=admin, role=Role.POLICY_ADMIN)
    place = Place.objects.first()
    codes = []
    for i in range(n):
        base = f"9161040{i:010d}"
        codes.append(base + uscc.calc_check_digit(base))
    orgs = Organisation.objects.bulk_create(
        Organisation(
            uscc=code, legal_name=f"咸阳基准企业{i}有限公司", kind="enterprise", place=place
        )
        for i, code in enumerate(codes)
    )
    users = User.objects.bulk_create(User(username=f"bench_ent_{i}") for i in range(n))
    Membership.objects.bulk_create(
        Membership(user=u, organisation=o) for u, o in zip(users, orgs, strict=True)
    )
    lines = ["统一社会信用代码,企业名称,认定类别,级别,认定日期,文号"]
    for i, code in enumerate(codes):
        level = "国家级" if i % 10 == 0 else "省级"
        lines.append(f"{code},咸阳基准企业{i}有限公司,专精特新中小企业,{level},2025-08-01,")
    return ("\n".join(lines) + "\n").encode("utf-8-sig"), admin


def one_run(data: bytes, admin) -> float:
    from accounts.models import Notification
    from applications.models import Application
    from integrations.models import RecognitionList
    from integrations.services import recognition_list_import

    RecognitionList.objects.all().delete()
    Notification.objects.all().delete()
    Application.objects.all().delete()
    start = time.perf_counter()
    result = recognition_list_import(
        actor=admin,
        clause_code="M02-SPECIALISED-SME",
        title="2025年陕西省专精特新中小企业名单",
        document_no="陕工信发〔2025〕12号",
        file_name="名单.csv",
        data=data,
    )
    seconds = time.perf_counter() - start
    assert result.created == result.recognition_list.row_count, result
    return seconds


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with bench_database():
        data, admin = generate(n)
        times = []
        if os.environ.get("BENCH_PROFILE"):  # cProfile one run into this file, then time as usual
            import cProfile

            cProfile.runctx(
                "one_run(data, admin)", globals(), locals(), os.environ["BENCH_PROFILE"]
            )
        for attempt in range(1, RUNS + 1):
            times.append(one_run(data, admin))
            print(f"run {attempt}: {times[-1]:.2f} s")
    seconds = statistics.median(times)
    ref_s = ref_seconds()
    print(f"median of {RUNS} runs: {seconds:.2f} s; reference loop {ref_s:.3f} s")
    print(f"goal ≤4 × ref_s = {4 * ref_s:.2f} s: {'met' if seconds <= 4 * ref_s else 'not met'}")
    print(f"recognition_import: rows={n} seconds={seconds:.2f} ref_s={ref_s:.3f}")


if __name__ == "__main__":
    main()

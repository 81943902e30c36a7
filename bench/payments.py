"""Payments: build a 10,000-line batch and export its xlsx payment list, against PostgreSQL.

Usage (from the repository root):
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/xianyang_bench \
        .venv/bin/python bench/payments.py [N]

It creates its own database (Django's test-database creation: ``test_<name of DATABASE_URL's
database>``, dropped and re-created, migrated) and destroys it at the end.

Data: N approved applications of generated organisations, each with a current letter. The
Letter rows are written directly with bulk_create; no PDF is rendered (bench/letters.py
measures rendering). 3 % of the organisations changed their bank account after approval, so
the build flags them and the bench confirms them before locking, as an officer would.

Timed:
- build_s: ``payment_batch_build`` (the service a page or API call uses) up to the batch being
  ready, including its Celery task (eager here, as in tests: queued on commit, run in-process).
- export_s: what the xlsx download does: ``payment_batch_export_record`` + ``export_response``.
- peak_mb: the process's peak resident set size (``resource.getrusage(...).ru_maxrss``), for
  the whole run, data generation included: everything Python and the C libraries held.

The last line is machine-readable.
"""

from __future__ import annotations

import io
import os
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "xianyang_portal.settings.test"
# Our own database, never the test suite's: test_<database of DATABASE_URL>.
_url_db = urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/") or "xianyang_bench"
os.environ["TEST_DB_NAME"] = f"test_{_url_db}"

import django  # noqa: E402
from reference import ref_s  # noqa: E402 - bench/ is the script's directory

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

COUNTY_WORDS = ("秦都", "渭城", "兴平", "三原", "泾阳", "乾县", "礼泉", "永寿", "彬州", "长武")
TRADES = ("精密机械", "新材料", "电子信息", "生物医药", "智能装备", "新能源", "食品加工")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def generate(n: int):
    """N payable applications: organisations, applications and letters by bulk_create."""
    from accounts.models import Organisation, Place, Role, RoleAssignment, User
    from applications.models import Application, Status
    from measures.demo import seed_policy_and_round
    from reviews.models import Letter

    round_ = seed_policy_and_round()
    clauses = list(round_.policy.clauses.filter(measure__monetary=True).select_related("measure"))
    places = list(Place.objects.all())
    finance = User.objects.create_user("bench_finance", full_name="市财政局 基准")
    RoleAssignment.objects.create(user=finance, role=Role.FINANCE)
    applicant = User.objects.create_user("bench_applicant", full_name="基准申报员")

    org_count = max(1, n // 5)
    now = timezone.now()
    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                legal_name=f"咸阳{COUNTY_WORDS[i % 10]}{TRADES[i % 7]}第{i + 1}有限公司",
                uscc=f"91610400MA{i:07d}X",
                place=places[i % len(places)],
                contact_name="联系人",
                contact_phone="029-33000000",
                payee_name=f"咸阳{COUNTY_WORDS[i % 10]}{TRADES[i % 7]}第{i + 1}有限公司",
                bank_name="中国工商银行咸阳分行",
                bank_account=f"622202{i:013d}",
                # 3 % changed their account after approval: flagged in the batch.
                bank_account_updated_at=now + timedelta(hours=1) if i % 33 == 0 else None,
            )
            for i in range(org_count)
        ],
        batch_size=2000,
    )
    applications = Application.objects.bulk_create(
        [
            Application(
                reference=f"SBB{i:09d}",
                organisation=organisations[i % org_count],
                place_id=organisations[i % org_count].place_id,
                round=round_,
                clause=clauses[i % len(clauses)],
                rule_version_id=clauses[i % len(clauses)].current_version_id,
                status=Status.PAYMENT_FAILED if i % 10 == 0 else Status.APPROVED,
                approved_amount=Decimal(10_000 + (i * 7919) % 990_000) + Decimal("0.50") * (i % 2),
                amount_kind="ceiling",
                created_by=applicant,
                stage_entered_at=now,
                submitted_at=now,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    issued = date.today() - timedelta(days=3)
    Letter.objects.bulk_create(
        [
            Letter(
                application=application,
                prefix="咸工信奖",
                year=issued.year,
                sequence=i + 1,
                number=f"咸工信奖〔{issued.year}〕{i + 1}号",
                verification_code=f"BENCH{i:011d}",
                amount=application.approved_amount,
                issued_on=issued,
                organisation_name=application.organisation.legal_name,
                measure_title=application.clause.measure.title,
                clause_title=application.clause.title,
                pdf="letters/bench-not-rendered.pdf",
            )
            for i, application in enumerate(applications)
        ],
        batch_size=2000,
    )
    return finance


RUNS = 3


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    print(
        f"database: {connection.settings_dict['NAME']} on {connection.settings_dict['HOST']} "
        f"(created and migrated in {time.perf_counter() - started:.1f} s)"
    )
    try:
        run(n)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()


def run(n: int) -> None:
    from openpyxl import load_workbook

    from payments.exports import payment_list_csv
    from payments.models import PaymentLine

    started = time.perf_counter()
    finance = generate(n)
    print(
        f"data: {n} approved/payment-failed applications with letter rows (no PDFs rendered), "
        f"{max(1, n // 5)} organisations, generated in {time.perf_counter() - started:.1f} s; "
        f"RSS {rss_mb():.0f} MB"
    )

    from applications.models import Application
    from payments.models import PaymentBatch

    original = {}
    for pk, status in Application.objects.values_list("pk", "status"):
        original.setdefault(status, []).append(pk)
    builds, exports = [], []
    for attempt in range(1, RUNS + 1):
        batch, build_s, export_s, content = one_run(finance, n)
        builds.append(build_s)
        exports.append(export_s)
        print(f"run {attempt}: build {build_s:.2f} s, export {export_s:.2f} s")
        if attempt < RUNS:  # back to the generated state for the next run
            PaymentLine.objects.all().delete()
            PaymentBatch.objects.all().delete()
            for status, ids in original.items():
                Application.objects.filter(pk__in=ids).update(status=status)
    build_s, export_s = statistics.median(builds), statistics.median(exports)
    print(f"median of {RUNS} runs: build {build_s:.2f} s, export {export_s:.2f} s")

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    rows = sum(1 for _ in workbook["拨付明细"].iter_rows())
    workbook.close()
    expected_rows = 5 + 1 + n + 1  # header block, header row, lines, total row
    if rows != expected_rows:
        raise SystemExit(f"xlsx has {rows} rows, expected {expected_rows}")

    started = time.perf_counter()
    csv_bytes = "".join(payment_list_csv(batch)).encode("utf-8")
    print(
        f"extra: CSV {len(csv_bytes) / 1024:.0f} KiB in {time.perf_counter() - started:.2f} s "
        f"(not part of export_s); lines in DB: {PaymentLine.objects.filter(batch=batch).count()}"
    )
    peak = peak_mb()
    print(
        f"goal: build+export {build_s + export_s:.2f} s (≤5 s: "
        f"{'met' if build_s + export_s <= 5 else 'NOT met'}), peak RSS {peak:.0f} MB "
        f"(≤200 MB: {'met' if peak <= 200 else 'NOT met'})"
    )
    reference = ref_s()
    print(
        f"goal: build+export ≤ 6 × ref_s = {6 * reference:.2f} s: "
        f"{'met' if build_s + export_s <= 6 * reference else 'NOT met'}"
    )
    print(
        f"payments: lines={n} build_s={build_s:.2f} export_s={export_s:.2f} peak_mb={peak:.0f} "
        f"ref_s={reference:.3f}"
    )


def one_run(finance, n: int):
    """Build, review and export one batch of every payable application (timed parts only)."""
    from accounts.models import Role, RoleAssignment, User
    from payments.models import BatchState
    from payments.selectors import BuildFilters, batch_totals
    from payments.services import (
        payment_batch_build,
        payment_batch_export_record,
        payment_batch_lock,
        payment_lines_confirm_bank,
    )
    from payments.views import export_response

    rss_before = rss_mb()
    started = time.perf_counter()
    batch = payment_batch_build(actor=finance, filters=BuildFilters(), note="bench")
    build_s = time.perf_counter() - started
    batch.refresh_from_db()
    if batch.state != BatchState.DRAFT or batch.line_count != n:
        raise SystemExit(f"build did not finish: state={batch.state} lines={batch.line_count}")
    totals = batch_totals(batch)
    print(
        f"build: payment_batch_build + its task (eager), {batch.line_count} lines, "
        f"total {totals.amount}, {len(totals.by_measure)} measures / "
        f"{len(totals.by_department)} departments / {len(totals.by_county)} counties: "
        f"{build_s:.2f} s; RSS {rss_before:.0f} → {rss_mb():.0f} MB"
    )

    started = time.perf_counter()
    flagged = list(batch.lines.filter(bank_changed=True).values_list("pk", flat=True))
    payment_lines_confirm_bank(actor=finance, batch_id=batch.pk, line_ids=flagged)
    checker, _created = User.objects.get_or_create(
        username="bench_checker", defaults={"full_name": "市财政局 复核"}
    )
    RoleAssignment.objects.get_or_create(user=checker, role=Role.FINANCE)
    payment_batch_lock(actor=checker, batch_id=batch.pk)  # 复核: not the maker
    print(
        f"review: confirmed {len(flagged)} flagged bank changes and locked in "
        f"{time.perf_counter() - started:.2f} s (not part of build_s/export_s)"
    )

    rss_before = rss_mb()
    started = time.perf_counter()
    grant = payment_batch_export_record(actor=finance, batch_id=batch.pk, fmt="xlsx")
    response = export_response(grant, "xlsx")
    content = response.content
    export_s = time.perf_counter() - started
    print(
        f"export: xlsx payment list (write-only openpyxl), {len(content) / 1024:.0f} KiB: "
        f"{export_s:.2f} s; RSS {rss_before:.0f} → {rss_mb():.0f} MB"
    )

    return grant.batch, build_s, export_s, content


if __name__ == "__main__":
    main()

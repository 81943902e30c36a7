"""Bank-result import: check and apply a 20,000-row result file, against PostgreSQL.

Usage (from the repository root):
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/xianyang_bench \\
        .venv/bin/python bench/bank_import.py [N]

It creates its own database (test_<database of DATABASE_URL>, as bench/payments.py does),
generates N payable applications with letters, builds and locks one batch through the
services, writes the bank's CSV (5 % failed rows) and times `payment_results_import`: reading
the file, then `_results_apply`, the step the page, the API and the worker share: every row checked, then every line and
application moved, audited and notified (notification rows and their outbox row; the
emails themselves are the worker's job and are not sent here). Median of 3 runs; between
runs the lines go back to pending. `ref_s` is the CPU reference loop timed in the same run.
With BENCH_PROFILE=<file>, one extra untimed run is profiled with cProfile into <file>.

The last line is machine-readable.
"""

from __future__ import annotations

import cProfile
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_payments", HERE / "payments.py")
bench_payments = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_payments)  # sets up Django on the bench database

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402
from reference import ref_s as reference_seconds  # noqa: E402 - bench/ is the script's directory

RUNS = 3


def result_csv(batch) -> bytes:
    rows = ["明细编号,收款账号,金额,结果,原因"]
    for i, (reference, account, amount) in enumerate(
        batch.lines.order_by("number").values_list("reference", "bank_account", "amount")
    ):
        failed = i % 20 == 0
        rows.append(
            f"{reference},{account},{amount:.2f},{'失败' if failed else '成功'},"
            f"{'账户已销户' if failed else ''}"
        )
    return ("\n".join(rows) + "\n").encode("utf-8")


def run(n: int) -> None:
    from unittest import mock

    from accounts.models import Role, RoleAssignment, User
    from applications.models import Application, Status
    from payments.models import LineState, PaymentLine
    from payments.selectors import BuildFilters
    from payments.services import (
        payment_batch_build,
        payment_batch_lock,
        payment_lines_confirm_bank,
        payment_results_import,
    )

    started = time.perf_counter()
    finance = bench_payments.generate(n)
    batch = payment_batch_build(actor=finance, filters=BuildFilters(), note="bench")
    batch.refresh_from_db()
    flagged = list(batch.lines.filter(bank_changed=True).values_list("pk", flat=True))
    payment_lines_confirm_bank(actor=finance, batch_id=batch.pk, line_ids=flagged)
    checker = User.objects.create_user("bench_checker", full_name="市财政局 复核")
    RoleAssignment.objects.create(user=checker, role=Role.FINANCE)
    payment_batch_lock(actor=checker, batch_id=batch.pk)  # 复核: not the maker
    data = result_csv(batch)
    print(
        f"data: {n} lines in a locked batch, result CSV {len(data) / 1024:.0f} KiB, "
        f"prepared in {time.perf_counter() - started:.1f} s"
    )
    ids = list(batch.lines.values_list("application_id", flat=True))
    timings, refs = [], []
    profile = os.environ.get("BENCH_PROFILE")
    for attempt in range(1, RUNS + 1 + bool(profile)):
        profiler = cProfile.Profile() if attempt > RUNS else None  # the extra, untimed run
        if not profiler:
            refs.append(reference_seconds())
        # The outbox rows are written; publishing them is the worker's side, not timed here.
        with mock.patch("outbox.services.outbox_publish"):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            outcome = payment_results_import(
                actor=finance, batch_id=batch.pk, file_name="bank.csv", data=data
            )
            elapsed = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        else:
            timings.append(elapsed)
        if outcome.rows != n or outcome.paid + outcome.failed != n:
            raise SystemExit(f"import did not apply every row: {outcome}")
        print(f"run {attempt}: {elapsed:.2f} s ({outcome.paid} paid, {outcome.failed} failed)")
        PaymentLine.objects.filter(batch=batch).update(state=LineState.PENDING, reason="")
        Application.objects.filter(pk__in=ids).update(status=Status.IN_PAYMENT)
    seconds, ref_s = statistics.median(timings), statistics.median(refs)
    print(f"goal: {n} rows checked and applied in {seconds:.2f} s (≤5 s: "
          f"{'met' if seconds <= 5 else 'NOT met'})")  # fmt: skip
    print(f"bank_import: rows={n} seconds={seconds:.2f} ref_s={ref_s:.2f}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        run(n)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()


if __name__ == "__main__":
    main()

"""Approval letters through the real task path, against WeasyPrint's own minimal-page floor.

Usage (from the repository root; PostgreSQL and Redis as for the tests):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xianyang_bench_letters \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/8 \
        .venv/bin/python bench/letters.py [N] [--repeats R] [--no-workers]

It creates its own database (``test_<database of DATABASE_URL>``, dropped, re-created and
migrated) and its own media directory, and removes both at the end.

Data: N approved applications of generated organisations, over every monetary clause, with
every fact of the clause's rule filled in (so each letter lists its facts, as a real one does).

Timed, each R times (median taken), wall clock and CPU time of this process:
- floor: WeasyPrint's minimal page — one A4 page with one line in the letters' body face
  (LXGW WenKai) — batched as the letters are: LETTER_CHUNK pages in one document, rendered and
  written with the same font configuration; per page.
- letter: ``letters_generate`` run in-process (``apply``: the task body, its split into chunks
  of LETTER_CHUNK, number reservation, rendering, splitting, storing the PDFs and the audit
  rows) for all N applications; per letter. The letters are deleted between runs.
- two_process_speedup: the same N letters made by a real ``celery worker`` on a queue of its
  own, with 1 and then 2 prefork processes (wall clock from sending the task to the last
  letter stored, median of R); 1-process time over 2-process time. The machine's load average
  is printed beside it: other processes on the 2 cores disturb this figure most.
- ref_s: the fixed CPU loop of COMMON.md, measured in the same run.

The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "xianyang_portal.settings.test"
_url_db = urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/") or "xianyang_bench_letters"
os.environ["TEST_DB_NAME"] = f"test_{_url_db}"
MEDIA = Path(tempfile.mkdtemp(prefix="bench-letters-media-"))
os.environ["MEDIA_ROOT"] = str(MEDIA)
QUEUE = f"bench-letters-{os.getpid()}"
os.environ["CELERY_LETTERS_QUEUE"] = QUEUE  # the task route (and its fan-out) goes to our worker

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from reference import ref_s as reference_loop_s  # noqa: E402 - bench/ is the script directory

COUNTIES = ("秦都", "渭城", "兴平", "三原", "泾阳", "乾县", "礼泉", "永寿", "彬州", "长武")
TRADES = ("精密机械", "新材料", "电子信息", "生物医药", "智能装备", "新能源", "食品加工")
FORMS = ("有限公司", "股份有限公司", "科技有限公司", "集团有限公司")


def sample_facts(rule) -> dict:
    """A plausible value for every fact of a clause's rule."""
    facts = {}
    for spec in rule.facts:
        if spec.kind == "tier":
            facts[spec.name] = spec.choices[0].value
        elif spec.kind == "bool":
            facts[spec.name] = True
        elif spec.kind == "date":
            facts[spec.name] = "2025-08-20"
        elif spec.kind == "money":
            facts[spec.name] = "1250000"
        elif spec.kind == "count":
            facts[spec.name] = "12"
        elif spec.kind == "percent":
            facts[spec.name] = "35"
        else:
            facts[spec.name] = "国家级专精特新“小巨人”企业"
    return facts


def generate(n: int) -> list[int]:
    """N approved applications, by bulk_create; their ids."""
    from accounts.models import Organisation, Place, User
    from applications.models import Application, Status
    from measures.demo import seed_policy_and_round

    round_ = seed_policy_and_round()
    clauses = list(
        round_.policy.clauses.filter(measure__monetary=True).select_related("current_version")
    )
    places = list(Place.objects.all())
    applicant = User.objects.create_user("bench_applicant", full_name="基准申报员")
    now = timezone.now()
    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                legal_name=f"咸阳{COUNTIES[i % 10]}{TRADES[i % 7]}第{i + 1}{FORMS[i % 4]}",
                uscc=f"91610400MA{i:07d}X",
                place=places[i % len(places)],
                contact_name="联系人",
                contact_phone="029-33000000",
            )
            for i in range(n)
        ]
    )
    applications = Application.objects.bulk_create(
        [
            Application(
                reference=f"SBL{i:09d}",
                organisation=organisations[i],
                place_id=organisations[i].place_id,
                round=round_,
                clause=clauses[i % len(clauses)],
                rule_version=clauses[i % len(clauses)].current_version,
                facts=sample_facts(clauses[i % len(clauses)].current_version.rule),
                status=Status.APPROVED,
                approved_amount=Decimal(10_000 + (i * 7919) % 990_000) + Decimal("0.50") * (i % 2),
                amount_kind="ceiling",
                created_by=applicant,
                stage_entered_at=now,
                submitted_at=now,
            )
            for i in range(n)
        ]
    )
    return [a.pk for a in applications]


def reset_letters() -> None:
    from reviews.models import Letter, LetterReservation, LetterSequence

    Letter.objects.filter(superseded_by__isnull=False).update(superseded_by=None)
    Letter.objects.all().delete()
    LetterReservation.objects.all().delete()
    LetterSequence.objects.update(last=0)
    shutil.rmtree(MEDIA / "letters", ignore_errors=True)


def floor_html(pages: int) -> str:
    return (
        '<html lang="zh-CN"><head><meta charset="utf-8"></head><body>'
        + "".join(
            f"<section><p>咸阳市工业和信息化局第{i + 1}号</p></section>" for i in range(pages)
        )
        + "</body></html>"
    )


def time_floor(pages: int) -> tuple[float, float]:
    """(wall, cpu) seconds per page of the minimal document, rendered and written."""
    from weasyprint import CSS, HTML

    from reviews.letters.render import FONT_CONFIG

    css = CSS(
        string='@page { size: A4 } section { break-before: page } html { font-family: "LXGW WenKai" }',
        font_config=FONT_CONFIG,
    )
    html = floor_html(pages)
    wall, cpu = time.perf_counter(), time.process_time()
    pdf = HTML(string=html).render(stylesheets=[css], font_config=FONT_CONFIG).write_pdf()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if not pdf.startswith(b"%PDF"):
        raise SystemExit("the floor document is not a PDF")
    return wall / pages, cpu / pages


def time_task(ids: list[int]) -> tuple[float, float]:
    """(wall, cpu) seconds per letter of ``letters_generate`` run in-process."""
    from reviews.letters.tasks import letters_generate
    from reviews.models import Letter

    reset_letters()
    wall, cpu = time.perf_counter(), time.process_time()
    letters_generate.apply(args=[ids]).get()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    made = Letter.objects.count()
    if made != len(ids):
        raise SystemExit(f"the task made {made} letters for {len(ids)} applications")
    return wall / len(ids), cpu / len(ids)


def start_worker(processes: int) -> subprocess.Popen:
    from xianyang_portal.celery import app

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/"
            f"{connection.settings_dict['NAME']}"
        ),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    name = f"{QUEUE}-{processes}@{os.uname().nodename}"
    command = [
        *(sys.executable, "-m", "celery", "-A", "xianyang_portal", "worker", "--pool=prefork"),
        *(f"--concurrency={processes}", "-Q", QUEUE, "-n", name, "--loglevel=WARNING"),
        *("--without-heartbeat", "--without-gossip", "--without-mingle"),
    ]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if app.control.ping(destination=[name], timeout=1):
            return proc
        if proc.poll() is not None:
            raise SystemExit("the celery worker exited")
    proc.terminate()
    raise SystemExit("the celery worker did not answer within 90 s")


def worker_run(ids: list[int], timeout: float = 900) -> float:
    """Wall seconds from queueing the letters to the last one stored, through the worker."""
    from reviews.letters.tasks import letters_generate
    from reviews.models import Letter
    from xianyang_portal.celery import app

    reset_letters()
    app.conf.task_always_eager = False
    started = time.perf_counter()
    letters_generate.delay(ids)
    deadline = time.monotonic() + timeout
    while Letter.objects.count() < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not finish the letters in time")
        time.sleep(0.05)
    return time.perf_counter() - started


def warm_up(ids: list[int], timeout: float = 180) -> None:
    """One single-letter task per id, sent together, so every process of the pool renders
    once (fonts, stylesheet, template) before the timed runs; one task with all the ids would
    be one chunk and warm one process only."""
    from reviews.letters.tasks import letters_generate
    from reviews.models import Letter
    from xianyang_portal.celery import app

    reset_letters()
    app.conf.task_always_eager = False
    for pk in ids:
        letters_generate.delay([pk])
    deadline = time.monotonic() + timeout
    while Letter.objects.count() < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not warm up in time")
        time.sleep(0.05)


def two_process_speedup(ids: list[int], repeats: int) -> tuple[float, list[float], list[float]]:
    chunk = settings.LETTER_CHUNK
    times: dict[int, list[float]] = {}
    for processes in (1, 2):
        proc = start_worker(processes)
        try:
            warm_up(ids[: 2 * processes])
            times[processes] = [worker_run(ids) for _ in range(repeats)]
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        print(
            f"worker, {processes} process(es): {len(ids)} letters in {len(ids) // chunk} chunks, "
            f"runs {', '.join(f'{t:.2f} s' for t in times[processes])}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    return statistics.median(times[1]) / statistics.median(times[2]), times[1], times[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-workers", action="store_true", help="skip the two-process run")
    parser.add_argument("--profile", action="store_true", help="cProfile one task run, then stop")
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        run(args)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()
        shutil.rmtree(MEDIA, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    chunk = settings.LETTER_CHUNK
    ids = generate(args.n)
    print(
        f"data: {args.n} approved applications; chunk size LETTER_CHUNK={chunk}; "
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    time_task(ids[:4])  # warm-up: template, fonts, Pango caches
    time_floor(4)
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(time_task, ids)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return
    floors, letters, floors_cpu, letters_cpu = [], [], [], []
    for _ in range(args.repeats):  # interleaved, so both see the same load
        wall, cpu = time_floor(min(chunk, args.n))
        floors.append(wall)
        floors_cpu.append(cpu)
        wall, cpu = time_task(ids)
        letters.append(wall)
        letters_cpu.append(cpu)
    floor_ms = statistics.median(floors) * 1000
    letter_ms = statistics.median(letters) * 1000
    print(
        f"floor: minimal page, {min(chunk, args.n)} per document: "
        f"{', '.join(f'{t * 1000:.2f}' for t in floors)} ms per page (CPU "
        f"{statistics.median(floors_cpu) * 1000:.2f} ms)"
    )
    print(
        f"letter: letters_generate for {args.n}: "
        f"{', '.join(f'{t * 1000:.1f}' for t in letters)} ms per letter (CPU "
        f"{statistics.median(letters_cpu) * 1000:.1f} ms); ratio by CPU time "
        f"{statistics.median(letters_cpu) / statistics.median(floors_cpu):.2f}"
    )
    speedup = float("nan")
    if not args.no_workers:
        speedup, _one, _two = two_process_speedup(ids, args.repeats)
    ref_s = statistics.median(reference_loop_s() for _ in range(3))
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    print(
        f"letters: n={args.n} floor_ms={floor_ms:.2f} letter_ms={letter_ms:.2f} "
        f"floor_ratio={letter_ms / floor_ms:.2f} per_s={1000 / letter_ms:.1f} "
        f"two_process_speedup={speedup:.2f} ref_s={ref_s:.2f}"
    )


if __name__ == "__main__":
    main()

"""Every bench under bench/ runs to its machine-readable last line, at a small size.

The figures are the benches' business (run at full size by hand, quoted in the README); this
only keeps them runnable: seed_scale once broke on a new NOT NULL column and bench/scale.py
with it, and nothing noticed. Each bench gets databases of its own (dropped afterwards) and a
Redis server of its own: the benches queue notification emails, which, left in the suite's
Redis, showed up in another test's queue-depth metric.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"(?:\d+(?:\.\d+)?|nan)"

# bench, arguments, the last line it must print (from the issues' formats), the databases it
# makes from its URL's name (payments-like benches add "test_"; scale adds "_1k").
BENCHES = {
    "calculator": (
        ["--orgs", "20", "--runs", "1"],
        rf"calculator: orgs=20 seconds={NUMBER} per_eval_us={NUMBER} ref_s={NUMBER}",
        [],
    ),
    "payments": (
        ["40"],
        rf"payments: lines=40 build_s={NUMBER} export_s={NUMBER} peak_mb=\d+ ref_s={NUMBER}",
        ["test_{name}"],
    ),
    "bank_import": (
        ["40"],
        rf"bank_import: rows=40 seconds={NUMBER} ref_s={NUMBER}",
        ["test_{name}"],
    ),
    "recognition_import": (
        ["40"],
        rf"recognition_import: rows=40 seconds={NUMBER} ref_s={NUMBER}",
        ["test_{name}"],
    ),
    "push": (["40"], rf"push: orgs=40 seconds={NUMBER} ref_s={NUMBER}", ["test_{name}"]),
    "letters": (
        ["4", "--repeats", "1", "--no-workers"],
        rf"letters: n=4 floor_ms={NUMBER} letter_ms={NUMBER} floor_ratio={NUMBER} "
        rf"per_s={NUMBER} two_process_speedup={NUMBER} ref_s={NUMBER}",
        ["test_{name}"],
    ),
    "burst": (
        ["{url}", "4"],
        rf"burst: users=4 errors=0 p95_s={NUMBER} upload_baseline_p95_s={NUMBER} "
        rf"ratio={NUMBER} ref_s={NUMBER}",
        ["{name}"],
    ),
    "scale": (
        [
            "{url}",
            "--orgs",
            "60",
            "--applications",
            "1200",
            "--rounds",
            "1",
            "--samples",
            "5",
            "--load-seconds",
            "2",
        ],
        rf"scale: rows=1200 hello_p95_ms={NUMBER} queue_p95_ratio={NUMBER} "
        rf"api_p95_ratio={NUMBER} dashboard_p95_ratio={NUMBER} html_queries=\d+ "
        rf"api_queries=\d+ growth={NUMBER} rps_ratio={NUMBER} ref_s={NUMBER}",
        ["{name}", "{name}_1k"],
    ),
}


def _drop(names: list[str], admin_url: str) -> None:
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


@pytest.fixture
def own_redis(tmp_path):
    """redis-server on a free port, gone with everything queued when the test ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.parametrize("bench", sorted(BENCHES))
def test_bench_runs_to_its_last_line(bench, settings, tmp_path, own_redis):
    arguments, last_line, databases = BENCHES[bench]
    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}"
    name = f"bench_smoke_{bench}_{uuid.uuid4().hex[:8]}"
    url = f"{server}/{name}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": own_redis,
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    for key in ("TEST_DB_NAME", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)  # each bench names its own database and settings
    argv = [a.format(url=url) for a in arguments]
    try:
        result = subprocess.run(
            [sys.executable, f"bench/{bench}.py", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        _drop([d.format(name=name) for d in databases], f"{server}/postgres")
    output = result.stdout.strip()
    assert result.returncode == 0, output[-3000:] + result.stderr[-3000:]
    last = output.splitlines()[-1]
    assert re.fullmatch(last_line, last), last

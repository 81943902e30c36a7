"""City scale: reviewers' pages, API, dashboards and public pages under gunicorn with the
production settings, against a hello-world view in the same server.

Usage (from the repository root):
    .venv/bin/python bench/scale.py postgres://postgres@127.0.0.1:5432/xy_scale_bench \
        [--orgs 10000 --applications 100000 --rounds 3 --samples 40 --load-seconds 10]

The database named is created, migrated and filled by ``seed_scale`` (10,000 organisations,
100,000 applications) when it holds no applications; a second one, ``<name>_1k``, gets
100 organisations and 1,000 applications, for queries and p95 "at 1,000 rows".

For each database: gunicorn starts with deploy/gunicorn.conf.py and the production settings
(DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS from the environment; requests carry
X-Forwarded-Proto: https as a TLS proxy's would). Users log in through session cookies made
directly (SessionStore, plus django_otp's device key when that app is installed), never the
login form. Single-user latency: each URL is warmed, then requested in 3 rounds of 40
(keep-alive), at both sizes; the figure is the median of the three rounds' p50 and p95. (Rounds
of 12 made the "p95" the second-slowest request, one scheduler hiccup, and `growth` the
largest of 16 such noisy ratios: 1,200 rows measured 2.8 times slower than 1,000.) Queries per page
are counted in-process (CaptureQueriesContext) for the same URLs. Throughput: wrk (Debian
package, installed when missing and possible; else a bounded Python load generator),
2 threads, 20 connections, 10 s, hello-world then the county reviewer's queue.

Last line:
scale: rows=<n> hello_p95_ms=<x> queue_p95_ratio=<r> api_p95_ratio=<r> dashboard_p95_ratio=<r>
       html_queries=<q> api_queries=<q> growth=<g> rps_ratio=<f> ref_s=<s>
Ratios are the worst page of each kind over hello's p95; queries the worst at either size;
growth the worst queue/API p95 at 100,000 rows over the same URL's at 1,000.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import ref_s

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SECRET = os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-" + "x" * 40)
ROUNDS, SAMPLES = 3, 40
BENCH_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "bench:00112233445566778899aabbccddeeff",
    "FIELD_HASH_KEY": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "AUDIT_CHAIN_KEY": "a0b1c2d3e4f5a6b7c8d9eaf0b1c2d3e4",
}
USERS = {"county": "scale_county", "dept": "scale_dept", "auditor": "scale_auditor"}


def _env(url: str, settings: str = "bench.scale_settings") -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE=settings,
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,testserver"),
        PYTHONPATH=str(ROOT),
    )
    # Production settings refuse to start without keys: bench-only values unless given
    # (the seeded data is encrypted with them, so a reused bench database needs the same).
    for name, value in BENCH_KEYS.items():
        env.setdefault(name, value)
    return env


def _manage(url: str, *args: str) -> str:
    out = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=_env(url, "xianyang_portal.settings.production"),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def ensure_database(url: str, orgs: int, applications: int, *, seed: bool = True) -> None:
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunparse(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    started = time.perf_counter()
    _manage(url, "migrate", "-v0")
    db = psycopg2.connect(url)
    with db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM applications_application")
        existing = cursor.fetchone()[0]
    db.close()
    if existing == 0 and seed:
        print(_manage(url, "seed_scale", "--orgs", str(orgs), "--applications", str(applications)))
    print(f"database {name}: ready in {time.perf_counter() - started:.1f} s ({existing} existing)")


# --- in-process helper: sessions, sample URLs and query counts (run in a subprocess) -------


def prepare() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from applications.models import Application
    from reviews.selectors import review_cases_visible_to

    cookies, urls = {}, {}
    for key, username in USERS.items():
        user = User.objects.get(username=username)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if "django_otp" in settings.INSTALLED_APPS:  # 2FA: a verified device in the session
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_static.models import StaticDevice

            device, _ = StaticDevice.objects.get_or_create(user=user, name="bench")
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        cookies[key] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        visible = review_cases_visible_to(user=user)
        case = visible.order_by("stage_entered_at", "id").first()
        name = case.organisation.legal_name
        search = name[2:5] if len(name) > 5 else name
        queue = {
            "first": "",
            "deep": "?page=20",
            "filter": f"?measure={case.clause.measure_id}&_all=1",
            "search": f"?q={quote(search)}&_all=1",
        }
        for kind, query in queue.items():
            urls[f"{key}:queue:{kind}"] = (key, f"/reviews/{query}")
            urls[f"{key}:api:{kind}"] = (key, f"/api/v1/reviews/queue/{query}")
        urls[f"{key}:case"] = (key, f"/reviews/cases/{case.reference}/")
    urls["auditor:dashboard"] = ("auditor", "/payments/dashboard/")
    urls["auditor:dashboard_api"] = ("auditor", "/api/v1/payments/dashboard/")
    urls["public:measures"] = (None, "/measures/")
    urls["public:measure"] = (None, "/measures/1/")
    urls["public:home"] = (None, "/")
    queries, page_rows = {}, {}
    # The same sessions as the server's clients: force_login would lack the second factor
    # (django-otp's device key), and staff pages would redirect to the login.
    clients = {key: Client() for key in USERS}
    for key, cookie in cookies.items():
        clients[key].cookies[settings.SESSION_COOKIE_NAME] = cookie.split("=", 1)[1]
    anonymous = Client()
    for name, (key, url) in urls.items():
        client = clients[key] if key else anonymous
        client.get(url, secure=True)  # warm per-catalogue caches, as the server's first hit
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{url} as {key}: HTTP {response.status_code}")
        queries[name] = len(ctx.captured_queries)
        page_rows[name] = _rows_on_page(url, response)
    rows = Application.objects.count()
    print(
        json.dumps(
            {
                "cookies": cookies,
                "urls": urls,
                "queries": queries,
                "page_rows": page_rows,
                "rows": rows,
            }
        )
    )


def _rows_on_page(url: str, response) -> int | None:
    """Cases listed on a queue page (HTML or API), None for other pages: a queue page of the
    small database holds fewer rows when the user sees fewer cases than a page, or has no
    page 20, so its time is not the same page's at 1,000 rows."""
    if url.startswith("/api/v1/reviews/queue/"):
        return len(response.json()["results"])
    if url.startswith("/reviews/?") or url == "/reviews/":
        return response.content.decode().count("<tr data-reference=")
    return None


# --- the server and the clients --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, url: str):
        self.port = free_port()
        env = _env(url)
        env.update(GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_ACCESSLOG="")
        self.proc = subprocess.Popen(
            [PY, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.get("/bench/hello/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer within 60 s")

    def get(self, path: str, cookie: str | None = None, conn=None) -> tuple[int, float]:
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
        if cookie:
            headers["Cookie"] = cookie
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if own:
            conn.close()
        return response.status, elapsed

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def latency(
    server: Server, path: str, cookie: str | None, rounds: int, samples: int = SAMPLES
) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    for _ in range(3):
        status, _elapsed = server.get(path, cookie, conn)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
    p50s, p95s = [], []
    for _ in range(rounds):
        times = [server.get(path, cookie, conn)[1] * 1000 for _ in range(samples)]
        p50s.append(statistics.median(times))
        p95s.append(p95(times))
    conn.close()
    return statistics.median(p50s), statistics.median(p95s)


def ensure_wrk() -> str | None:
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True)
    return shutil.which("wrk")


def throughput(
    server: Server, path: str, cookie: str | None, seconds: int = 10
) -> tuple[float, int]:
    """Requests per second over `seconds` (10) at 20 connections, and the non-2xx count."""
    url = f"http://127.0.0.1:{server.port}{path}"
    wrk = ensure_wrk()
    if wrk:
        args = [wrk, "-t2", "-c20", f"-d{seconds}s", "-H", "X-Forwarded-Proto: https"]
        if cookie:
            args += ["-H", f"Cookie: {cookie}"]
        out = subprocess.run([*args, url], capture_output=True, text=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        return rps, int(bad.group(1)) if bad else 0
    # Bounded Python load: 20 threads with keep-alive connections for 10 s.
    done, bad, stop = [0], [0], time.monotonic() + seconds
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        while time.monotonic() < stop:
            status, _ = server.get(path, cookie, conn)
            with lock:
                done[0] += 1
                bad[0] += status != 200

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / seconds, bad[0]


def measure(
    url: str, rounds: int, load: bool, load_seconds: int = 10, samples: int = SAMPLES
) -> dict:
    out = subprocess.run(
        [PY, str(Path(__file__)), "_prepare"],
        cwd=ROOT,
        env=_env(url),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"prepare failed:\n{out.stdout}\n{out.stderr}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    server = Server(url)
    try:
        result = {
            "rows": info["rows"],
            "queries": info["queries"],
            "page_rows": info["page_rows"],
            "latency": {},
        }
        result["latency"]["hello"] = latency(server, "/bench/hello/", None, rounds, samples)
        for name, (key, path) in info["urls"].items():
            cookie = info["cookies"][key] if key else None
            result["latency"][name] = latency(server, path, cookie, rounds, samples)
            p50, p95_ = result["latency"][name]
            print(
                f"  {name:<22} {path[:60]:<60} p50 {p50:7.1f} ms  p95 {p95_:7.1f} ms  "
                f"queries {info['queries'][name]}"
                + (
                    f" rows {info['page_rows'][name]}"
                    if info["page_rows"][name] is not None
                    else ""
                )
            )
        hello50, hello95 = result["latency"]["hello"]
        print(f"  {'hello':<22} {'/bench/hello/':<60} p50 {hello50:7.1f} ms  p95 {hello95:7.1f} ms")
        if load:
            result["rps_hello"] = throughput(server, "/bench/hello/", None, load_seconds)
            county = info["urls"]["county:queue:first"][1]
            result["rps_queue"] = throughput(
                server, county, info["cookies"]["county"], load_seconds
            )
            print(
                f"  throughput (20 connections, {load_seconds} s): hello {result['rps_hello'][0]:.1f} req/s "
                f"({result['rps_hello'][1]} non-2xx), county queue {result['rps_queue'][0]:.1f} "
                f"req/s ({result['rps_queue'][1]} non-2xx)"
            )
    finally:
        server.stop()
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_prepare":
        prepare()
        return
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("DATABASE_URL", ""))
    # Smaller cities for a smoke run (tests/test_benches.py); the figures are for the defaults.
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--load-seconds", type=int, default=10)
    parser.add_argument("--samples", type=int, default=SAMPLES, help="requests per round")
    args = parser.parse_args()
    url = args.url
    if not url.startswith("postgres"):
        raise SystemExit("usage: bench/scale.py postgres://…/database (or DATABASE_URL)")
    parts = urlparse(url)
    small_url = urlunparse(parts._replace(path=parts.path + "_1k"))
    reference = ref_s()
    print(f"ref_s={reference:.3f}")
    _manage("sqlite://:memory:", "collectstatic", "--noinput", "-v0")  # manifest
    ensure_database(url, args.orgs, args.applications)
    ensure_database(small_url, 100, 1_000)
    print(f"small database ({small_url}):")
    small = measure(small_url, args.rounds, load=False, samples=args.samples)
    print(f"large database ({url}):")
    large = measure(
        url, args.rounds, load=True, load_seconds=args.load_seconds, samples=args.samples
    )

    hello95 = large["latency"]["hello"][1]

    def worst(kind: str, data=large) -> float:
        return max(v[1] for k, v in data["latency"].items() if f":{kind}" in k)

    html_q = max(v for d in (small, large) for k, v in d["queries"].items() if ":queue:" in k)
    api_q = max(v for d in (small, large) for k, v in d["queries"].items() if ":api:" in k)
    case_q = max(v for d in (small, large) for k, v in d["queries"].items() if k.endswith(":case"))
    queue_pages = [k for k in large["latency"] if ":queue:" in k or ":api:" in k]
    growth = max(large["latency"][k][1] / small["latency"][k][1] for k in queue_pages)
    # The same figure over the pages that list as many cases at both sizes: the rest compare
    # a full page at 100,000 rows with a short one at 1,000 (printed, not the last line's).
    same_rows = [k for k in queue_pages if large["page_rows"][k] == small["page_rows"][k]]
    growth_same_rows = max(
        (large["latency"][k][1] / small["latency"][k][1] for k in same_rows), default=float("nan")
    )
    rps_ratio = large["rps_queue"][0] / large["rps_hello"][0]
    queue_ratio = worst("queue") / hello95
    api_ratio = worst("api") / hello95
    dashboard_ratio = max(worst("dashboard"), worst("dashboard_api")) / hello95
    print(
        f"goals: queue {queue_ratio:.1f}× / api {api_ratio:.1f}× / dashboard "
        f"{dashboard_ratio:.1f}× hello p95 (≤10×), queries html {html_q} api {api_q} case "
        f"{case_q} (≤12), growth {growth:.2f} (≤1.5; {growth_same_rows:.2f} over the "
        f"{len(same_rows)} queue pages listing as many cases at both sizes), queue throughput "
        f"{rps_ratio:.1%} of "
        f"hello's (≥15%)"
    )
    print(
        f"scale: rows={large['rows']} hello_p95_ms={hello95:.1f} queue_p95_ratio={queue_ratio:.1f} "
        f"api_p95_ratio={api_ratio:.1f} dashboard_p95_ratio={dashboard_ratio:.1f} "
        f"html_queries={html_q} api_queries={api_q} growth={growth:.2f} rps_ratio={rps_ratio:.3f} "
        f"ref_s={reference:.3f}"
    )


if __name__ == "__main__":
    main()

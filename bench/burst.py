"""Deadline burst: 100 enterprises at once, each creating an application, uploading a 1 MB
PDF and submitting, through the API under gunicorn with the production settings.

Usage (from the repository root):
    .venv/bin/python bench/burst.py postgres://postgres@127.0.0.1:5432/xy_scale_burst [USERS]

The database named is created and migrated; the policy, an open round and USERS enterprise
accounts (one organisation each, API tokens made directly, never the login form) are added.
Each user runs, in its own thread, all starting together: POST /api/v1/applications/
(create with facts), POST …/evidence/ (the 1 MB PDF, multipart), POST …/submit/. Its time
is the three requests together. Baseline in the same run and server: the same 1 MB posted
by as many concurrent clients to /bench/upload/, a view that takes the upload and does
nothing. Queries per step are counted in-process (CaptureQueriesContext) for one user.

Last line: burst: users=<n> errors=<n> p95_s=<s> upload_baseline_p95_s=<s> ratio=<r> ref_s=<s>
"""

from __future__ import annotations

import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import PY, ROOT, Server, _env, _manage, p95, ref_s

FACTS = {
    "level": "national",
    "recognised_on": "2025-08-01",
    "certificate_no": "工信部企业函〔2025〕100号",
}
CLAUSE = "M02-SPECIALISED-SME"
PDF_BYTES = 1024 * 1024


def one_mb_pdf() -> bytes:
    """A valid one-page PDF padded to 1 MB with an incompressible page content stream (an
    attachment would be refused: embedded files are active content)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    content = DecodedStreamObject()
    content.set_data(b"% " + os.urandom(PDF_BYTES - 2000).replace(b"\n", b" ") + b"\n")
    page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def prepare(n: int) -> None:
    """In-process (subprocess of the bench): accounts, tokens and per-step query counts."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import Membership, Organisation, Place, User
    from accounts.tokens import token_issue
    from measures.demo import seed_policy_and_round

    seed_policy_and_round()
    places = list(Place.objects.all())
    run = uuid.uuid4().hex[:6]
    tokens = []
    for i in range(n + 1):
        user = User.objects.create_user(f"burst_{run}_{i}", full_name=f"申报员{i}")
        org = Organisation.objects.create(
            legal_name=f"咸阳冲刺测试{run}第{i}有限公司",
            uscc=f"91610400B{run.upper()[:4]}{i:04d}"[:17] + "0",
            place=places[i % len(places)],
            contact_name="联系人",
            contact_phone="029-33000000",
        )
        Membership.objects.create(user=user, organisation=org)
        tokens.append(token_issue(user=user)[0])
    # The last account: counted in-process, step by step.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.pop()}")
    steps = {}
    with CaptureQueriesContext(connection) as ctx:
        created = client.post(
            "/api/v1/applications/", {"clause": CLAUSE, "facts": FACTS}, format="json", secure=True
        )
    steps["create"] = len(ctx.captured_queries)
    reference = created.json()["reference"]
    upload = SimpleUploadedFile("cert.pdf", one_mb_pdf(), content_type="application/pdf")
    with CaptureQueriesContext(connection) as ctx:
        client.post(
            f"/api/v1/applications/{reference}/evidence/",
            {"material_code": "CERTIFICATE", "file": upload},
            format="multipart",
            secure=True,
        )
    steps["upload"] = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        submitted = client.post(
            f"/api/v1/applications/{reference}/submit/",
            {"pledge_accepted": True, "pledge_name": "法定代表人"},
            format="json",
            secure=True,
        )
    steps["submit"] = len(ctx.captured_queries)
    if submitted.status_code != 200:
        raise SystemExit(f"in-process submit failed: {submitted.status_code} {submitted.content}")
    print(json.dumps({"tokens": tokens, "queries": steps}))


def _multipart(fields: dict, file_bytes: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    head = "".join(parts) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cert.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    )
    body = head.encode() + file_bytes + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _post(port: int, path: str, body: bytes, content_type: str, token: str | None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": content_type, "X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Token {token}"
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def burst(
    port: int, tokens: list[str], pdf: bytes
) -> tuple[list[float], list[str], dict[str, list[float]]]:
    times, errors = [], []
    steps: dict[str, list[float]] = {"create": [], "upload": [], "submit": []}
    lock = threading.Lock()
    start = threading.Barrier(len(tokens))
    upload_body, upload_type = _multipart({"material_code": "CERTIFICATE"}, pdf)

    def user(token: str) -> None:
        start.wait()
        began = time.perf_counter()
        marks = [began]
        try:
            status, data = _post(
                port,
                "/api/v1/applications/",
                json.dumps({"clause": CLAUSE, "facts": FACTS}).encode(),
                "application/json",
                token,
            )
            if status != 201:
                raise RuntimeError(f"create {status} {data[:200]!r}")
            reference = json.loads(data)["reference"]
            marks.append(time.perf_counter())
            status, data = _post(
                port, f"/api/v1/applications/{reference}/evidence/", upload_body, upload_type, token
            )
            if status != 201:
                raise RuntimeError(f"upload {status} {data[:200]!r}")
            marks.append(time.perf_counter())
            status, data = _post(
                port,
                f"/api/v1/applications/{reference}/submit/",
                json.dumps({"pledge_accepted": True, "pledge_name": "法定代表人"}).encode(),
                "application/json",
                token,
            )
            if status != 200:
                raise RuntimeError(f"submit {status} {data[:200]!r}")
        except (OSError, RuntimeError, ValueError) as exc:
            with lock:
                errors.append(str(exc))
            return
        marks.append(time.perf_counter())
        with lock:
            times.append(marks[-1] - began)
            for name, step_began, step_ended in zip(steps, marks[:-1], marks[1:], strict=True):
                steps[name].append(step_ended - step_began)

    threads = [threading.Thread(target=user, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors, steps


def baseline(port: int, n: int, pdf: bytes) -> list[float]:
    body, content_type = _multipart({"material_code": "CERTIFICATE"}, pdf)
    times = []
    lock = threading.Lock()
    start = threading.Barrier(n)

    def client() -> None:
        start.wait()
        began = time.perf_counter()
        status, _data = _post(port, "/bench/upload/", body, content_type, None)
        with lock:
            times.append(time.perf_counter() - began if status == 200 else float("inf"))

    threads = [threading.Thread(target=client) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_prepare":
        prepare(int(sys.argv[2]))
        return
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATABASE_URL", "")
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    if not url.startswith("postgres"):
        raise SystemExit("usage: bench/burst.py postgres://…/database [USERS]")
    reference = ref_s()
    print(f"ref_s={reference:.3f}")
    from scale import ensure_database

    _manage("sqlite://:memory:", "collectstatic", "--noinput", "-v0")
    ensure_database(url, 0, 0, seed=False)
    out = subprocess.run(
        [PY, str(Path(__file__)), "_prepare", str(users)],
        cwd=ROOT,
        env=_env(url),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"prepare failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        "queries per step (one user, in-process): "
        + ", ".join(f"{k} {v}" for k, v in info["queries"].items())
    )
    pdf = one_mb_pdf()
    server = Server(url)
    try:
        baseline(server.port, users, pdf)  # warm every worker (imports, first connections)
        base = baseline(server.port, users, pdf)
        times, errors, steps = burst(server.port, info["tokens"], pdf)
    finally:
        server.stop()
    base95 = p95(base)
    p95_s = p95(times) if len(times) > 1 else float("inf")
    print(
        f"baseline: {users} concurrent 1 MB posts to a no-op view: median "
        f"{statistics.median(base):.2f} s, p95 {base95:.2f} s"
    )
    print(
        f"burst: {len(times)} users done, {len(errors)} errors; per user (create + upload + "
        f"submit): median {statistics.median(times) if times else float('nan'):.2f} s, "
        f"p95 {p95_s:.2f} s"
    )
    if times:
        print(
            "per step under the burst (median / p95 s): "
            + ", ".join(
                f"{name} {statistics.median(v):.2f} / {p95(v):.2f}"
                for name, v in steps.items()
                if len(v) > 1
            )
        )
    for message in errors[:5]:
        print(f"  error: {message}")
    print(
        f"burst: users={users} errors={len(errors)} p95_s={p95_s:.2f} "
        f"upload_baseline_p95_s={base95:.2f} ratio={p95_s / base95:.2f} ref_s={reference:.3f}"
    )


if __name__ == "__main__":
    main()

"""deploy/nginx/portal.conf runs under Debian's nginx: `nginx -t` accepts it, and a live
nginx on a free port, in front of a small upstream, shows what the deployment relies on:
static files, the internal download location (reachable only through X-Accel-Redirect),
the upload size limit, request buffering, and the client address and request id forwarded.

Only the addresses differ from production: compose's service names (web, minio) and the
container paths are replaced by local ones, and each replaced text must still be in the
file, so an edit to the proxy configuration cannot slip past this test unnoticed."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
EVIDENCE = b"%PDF-1.7 evidence bytes\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Upstream(BaseHTTPRequestHandler):
    """Stands in for gunicorn: echoes what reached it, or answers a private download the
    way core.views does behind nginx (an empty body and X-Accel-Redirect)."""

    def _answer(self, body_size: int) -> None:
        if self.path.startswith("/files/"):
            self.send_response(200)
            self.send_header("X-Accel-Redirect", "/_protected/evidence/case-1.pdf")
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = json.dumps(
            {
                "path": self.path,
                "body_size": body_size,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self._answer(0)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        received = 0
        while received < length:
            chunk = self.rfile.read(min(65536, length - received))
            if not chunk:
                break
            received += len(chunk)
        self._answer(received)

    def log_message(self, *args):
        pass


def _local_config(tmp: Path, listen: int, upstream: int) -> Path:
    conf = (ROOT / "deploy" / "nginx" / "portal.conf").read_text()
    (tmp / "static").mkdir()
    (tmp / "static" / "site.css").write_text("body{}")
    (tmp / "media" / "evidence").mkdir(parents=True)
    (tmp / "media" / "evidence" / "case-1.pdf").write_bytes(EVIDENCE)
    replacements = {
        "server web:8000;": f"server 127.0.0.1:{upstream};",
        "listen 80;": f"listen 127.0.0.1:{listen};",
        "alias /srv/static/;": f"alias {tmp}/static/;",
        "alias /data/media/;": f"alias {tmp}/media/;",
        "proxy_pass http://minio:9000;": f"proxy_pass http://127.0.0.1:{_free_port()};",
        "access_log /dev/stdout portal_json;": f"access_log {tmp}/access.log portal_json;",
    }
    for production, local in replacements.items():
        assert production in conf, f"deploy/nginx/portal.conf no longer has {production!r}"
        conf = conf.replace(production, local)
    (tmp / "portal.conf").write_text(conf)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = tmp / "nginx.conf"
    main.write_text(
        # Run as root (CI), nginx's workers would drop to nobody, who cannot read pytest's
        # private temporary folders: keep them as the invoking user.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n    include /etc/nginx/mime.types;\n{temp_paths}\n"
        f"    include {tmp}/portal.conf;\n}}\n"
    )
    return main


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    assert Path(NGINX).exists(), "nginx is missing: scripts/bootstrap.sh test installs it"
    tmp = tmp_path_factory.mktemp("nginx")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = _free_port()
    main = _local_config(tmp, port, upstream.server_address[1])

    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp), "-c", str(main)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr

    server = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(main)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, server.stderr.read()
            time.sleep(0.1)
    yield port, checked.stderr
    server.terminate()
    server.wait(timeout=10)
    upstream.shutdown()


def _request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def test_nginx_accepts_the_configuration(proxy):
    _, stderr = proxy
    assert "syntax is ok" in stderr and "test is successful" in stderr


def test_health_static_and_hidden_metrics(proxy):
    port, _ = proxy
    response, body = _request(port, "GET", "/nginx-health")
    assert (response.status, body) == (200, b"ok\n")
    response, body = _request(port, "GET", "/static/site.css")
    assert (response.status, body) == (200, b"body{}")
    assert "immutable" in response.getheader("Cache-Control")
    # Scraped from the pods, never through the public proxy.
    response, _ = _request(port, "GET", "/metrics")
    assert response.status == 404


def test_private_files_only_through_x_accel_redirect(proxy):
    port, _ = proxy
    response, _ = _request(port, "GET", "/_protected/evidence/case-1.pdf")
    assert response.status == 404
    response, body = _request(port, "GET", "/files/evidence/1/")
    assert response.status == 200
    assert body == EVIDENCE
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Cache-Control") == "private, no-store"
    # Django's sandbox policy does not survive X-Accel-Redirect: nginx sets the same one.
    from audit.downloads import SANDBOX_CSP

    assert response.getheader("Content-Security-Policy") == SANDBOX_CSP
    assert response.getheader("X-Frame-Options") == "DENY"
    conf = (ROOT / "deploy" / "nginx" / "portal.conf").read_text()
    assert conf.count(f'add_header Content-Security-Policy "{SANDBOX_CSP}" always;') == 2


def test_client_address_request_id_and_scheme_reach_the_upstream(proxy):
    port, _ = proxy
    response, body = _request(port, "GET", "/any/", headers={"X-Forwarded-Proto": "https"})
    seen = json.loads(body)["headers"]
    assert response.status == 200
    assert seen["x-real-ip"] == "127.0.0.1"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "https"
    assert len(seen["x-request-id"]) == 32  # nginx's $request_id when the client sent none
    _, body = _request(port, "GET", "/any/", headers={"X-Request-ID": "abc-123"})
    assert json.loads(body)["headers"]["x-request-id"] == "abc-123"


def test_upload_limit_and_buffered_request_bodies(proxy):
    port, _ = proxy
    # 20 MB, an evidence file at its limit, passes whole.
    size = 20 * 1024 * 1024
    response, body = _request(
        port,
        "POST",
        "/upload/",
        body=b"x" * size,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status == 200
    assert json.loads(body)["body_size"] == size
    # Beyond client_max_body_size, nginx refuses before gunicorn sees anything.
    response, _ = _request(port, "POST", "/upload/", body=b"x" * (26 * 1024 * 1024))
    assert response.status == 413

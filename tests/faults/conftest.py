"""Fault fixtures: a private Redis on a free port (the shared one is never touched)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    def __init__(self, tmp_path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _answers(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.05)
        from kombu import pools

        from xianyang_portal.celery import app

        # Pooled connections (and their declared-queue caches) belong to a previous run.
        pools.reset()
        app.close()
        app.amqp._producer_pool = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis(settings, celery_queue, tmp_path, monkeypatch):
    """A redis-server of this test only; the Celery app publishes to it while the test runs."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run scripts/test.sh, which installs it")
    from xianyang_portal.celery import app

    redis = PrivateRedis(tmp_path)
    redis.start()
    old = (app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_read_url)
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = redis.url
    app.close()  # drop pooled connections to the shared broker
    settings.CELERY_BROKER_URL = redis.url
    assert app.connection_for_write().as_uri().endswith(f":{redis.port}/0")
    try:
        yield redis
    finally:
        redis.stop()
        app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_read_url = old
        app.close()
        app.amqp._producer_pool = None

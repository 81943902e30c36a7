"""Gunicorn configuration for the portal (production; `gunicorn -c deploy/gunicorn.conf.py`).

Every value can be overridden from the environment (GUNICORN_<NAME>), so one file serves the
Docker image, a bare VM and the benchmarks.

Why these values:
- **Worker class `gthread`** (threads inside sync-style workers): a request to this portal
  spends a good part of its time waiting on PostgreSQL, Redis or the disk (uploads, exports),
  and threads let a worker serve other requests meanwhile, for little memory. Django's ORM
  is thread-safe with one connection per thread. Async workers would need an async stack.
- **Workers = 2 × cores + 1** (capped at 8): the classic gunicorn rule; with threads, more
  workers buy parallelism across cores (the GIL holds one thread per process at a time).
  On the 2-core reference machine: 5 workers.
- **Threads = 4**: 5 × 4 = 20 requests in flight, the benches' concurrency, while the
  database pool stays small: each thread keeps at most one persistent connection
  (CONN_MAX_AGE in production settings), so 20 connections per web container. Keep
  workers × threads × containers under PostgreSQL's max_connections (100 by default).
- **timeout = 60 s**: a worker that does not answer for 60 s is killed and restarted. Long
  work (letters, batch builds, ZIPs) runs in Celery, so no request should come near it;
  exports stream. **graceful_timeout = 30 s** lets requests in flight finish on a reload.
- **keepalive = 5 s**: behind a reverse proxy that keeps connections open, avoid
  reconnecting for each request, without holding idle sockets long.
- **max_requests = 2000 ± 200 jitter**: recycle workers now and then so a slow leak (PDF
  libraries, fonts) never grows without bound; the jitter avoids all restarting together.
- **preload_app**: load Django once in the master and fork (faster start, shared memory
  pages). Database connections are opened lazily after the fork, so none is shared.
- **limit_request_line / fields**: defaults; uploads are bodies, limited by Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE / FILE_UPLOAD_MAX_MEMORY_SIZE (big files go to a temporary file).
- **worker_tmp_dir = /dev/shm**: the heartbeat file lives in memory (Docker's overlay file
  system can stall it and trigger false timeouts).
- Logs go to stdout/stderr (the container's log), access log in the common format plus the
  request time in microseconds (%(D)s) for latency checks.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path


def _env(name: str, default):
    value = os.environ.get(f"GUNICORN_{name.upper()}")
    if value is None:
        return default
    return type(default)(value) if not isinstance(default, bool) else value == "1"


bind = _env("bind", "0.0.0.0:8000")
worker_class = _env("worker_class", "gthread")
workers = _env("workers", min(8, multiprocessing.cpu_count() * 2 + 1))
threads = _env("threads", 4)
timeout = _env("timeout", 60)
graceful_timeout = _env("graceful_timeout", 30)
keepalive = _env("keepalive", 5)
max_requests = _env("max_requests", 2000)
max_requests_jitter = _env("max_requests_jitter", 200)
preload_app = _env("preload_app", True)
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
accesslog = _env("accesslog", "-") or None
errorlog = "-"
loglevel = _env("loglevel", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sµs'
wsgi_app = "xianyang_portal.wsgi:application"

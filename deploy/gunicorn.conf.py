"""gunicorn settings for the web service (docker-compose.yml and deploy/k8s/web.yaml).

Minimal on purpose: worker counts and timeouts are tuned by the scale work (issue 15), which
owns this file; everything here can be overridden through the environment.
Sync workers are safe because nginx buffers requests and responses in front of them and
private files leave through X-Accel-Redirect or presigned URLs, never through a worker.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files in memory, not on the container's overlay filesystem.
SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented choice for worker heartbeats
worker_tmp_dir = SHM if os.path.isdir(SHM) else None  # noqa: PTH112
# nginx sets X-Forwarded-For / X-Forwarded-Proto; only trust it from the pod network.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'


def child_exit(server, worker):
    # Prometheus multiprocess mode: drop the counters files of a worker that went away.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

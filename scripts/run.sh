#!/usr/bin/env bash
# Run the portal with demo data at http://127.0.0.1:8000 (PORT to change the port).
# Nothing set: SQLite (WAL), in-process tasks, and the periodic jobs in a thread of the web
# process (manage.py runlocal). With DATABASE_URL and CELERY_BROKER_URL set: PostgreSQL,
# Redis and a real Celery worker + beat started beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_WARN_SCRIPT_LOCATION=1
bash scripts/bootstrap.sh run >/tmp/xianyang-bootstrap.log 2>&1 || {
  cat /tmp/xianyang-bootstrap.log; exit 1; }
export DJANGO_SETTINGS_MODULE=xianyang_portal.settings.local
# A demo shows the portal's own error pages, never Django's debug pages (DJANGO_DEBUG=true for those).
export DJANGO_DEBUG="${DJANGO_DEBUG:-false}"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
py=.venv/bin/python
port="${PORT:-8000}"
$py manage.py migrate --noinput -v 0
$py manage.py seed_demo --url "${SITE_URL:-http://127.0.0.1:$port}"
if [ -n "${CELERY_BROKER_URL:-}" ]; then
  echo "  Celery workers and beat: $CELERY_BROKER_URL (logs in tmp/celery-*.log)"
  mkdir -p tmp
  .venv/bin/celery -A xianyang_portal worker -Q default,batches,emails --loglevel=WARNING --concurrency=2 >tmp/celery-worker.log 2>&1 &
  .venv/bin/celery -A xianyang_portal worker -Q letters --concurrency="$(nproc)" -n letters@%h --loglevel=WARNING >tmp/celery-letters.log 2>&1 &
  .venv/bin/celery -A xianyang_portal beat --loglevel=WARNING >tmp/celery-beat.log 2>&1 &
  trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
  $py manage.py runserver "127.0.0.1:$port"
  exit
fi
echo "  定时任务 / periodic jobs: in-process, every ${LOCAL_BEAT_SECONDS:-30} s"
exec $py manage.py runlocal --skip-checks "127.0.0.1:$port"

#!/usr/bin/env bash
# Run the portal with demo data at http://127.0.0.1:8000.
# Nothing set: SQLite and in-process tasks. With DATABASE_URL and CELERY_BROKER_URL set:
# PostgreSQL, Redis and a real Celery worker + beat started beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh run
export DJANGO_SETTINGS_MODULE=xianyang_portal.settings.local
py=.venv/bin/python
$py manage.py migrate --noinput -v 0
$py manage.py seed_demo
if [ -n "${CELERY_BROKER_URL:-}" ]; then
  echo "==> starting Celery worker and beat against $CELERY_BROKER_URL"
  .venv/bin/celery -A xianyang_portal worker -Q default,batches,emails --loglevel=INFO --concurrency=2 &
  .venv/bin/celery -A xianyang_portal worker -Q letters --concurrency="$(nproc)" -n letters@%h --loglevel=INFO &
  .venv/bin/celery -A xianyang_portal beat --loglevel=INFO &
  trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
fi
echo "==> serving at http://127.0.0.1:8000"
$py manage.py runserver 127.0.0.1:8000

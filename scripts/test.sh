#!/usr/bin/env bash
# Run the whole test suite against real PostgreSQL and Redis, with lint first.
# Installs what is missing, starts PostgreSQL and Redis when installed but stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export DATABASE_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/xianyang_portal}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15}"
export DJANGO_SETTINGS_MODULE=xianyang_portal.settings.test

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "==> starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# A fresh Debian cluster asks for a password over TCP: give postgres the one in DATABASE_URL.
if ! psql "${DATABASE_URL%/*}/postgres" -qtAc "select 1" >/dev/null 2>&1; then
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "==> starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do redis-cli ping >/dev/null 2>&1 && break; sleep 1; done
fi

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> migrations are up to date"
.venv/bin/python manage.py makemigrations --check --dry-run -v 0
echo "==> pytest"
exec .venv/bin/python -m pytest "$@"

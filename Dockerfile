# Production image: one image for web, workers, beat and the migrate job (docker-compose.yml,
# deploy/k8s/). Dependencies come from the hash-locked file and are installed before the
# code is copied, so a code change rebuilds only the last layers.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=xianyang_portal.settings.production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-lxgw-wenkai gettext \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 1000 --home-dir /app --shell /usr/sbin/nologin portal
WORKDIR /app

# 1. Dependencies only (cached while the lock files do not change).
COPY requirements/build.txt requirements/prod.txt requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/build.txt \
 && pip install --no-cache-dir --require-hashes --no-deps --no-build-isolation -r requirements/prod.txt

# 2. The code, then the project itself without dependencies (not editable).
COPY . .
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
 && rm -rf build ./*.egg-info \
 && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput -v0 \
 && python manage.py compilemessages --ignore=.venv -v0 \
 && mkdir -p /data/media /srv/static /tmp/prometheus \
 && chown portal /data/media /srv/static /tmp/prometheus

USER portal
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "xianyang_portal.wsgi:application"]

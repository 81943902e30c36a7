# Production image: one image for web, worker and beat (docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=xianyang_portal.settings.production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-lxgw-wenkai gettext \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir "setuptools<81" wheel \
 && pip install --no-cache-dir --no-build-isolation "XStatic-Bootstrap>=5.3"
COPY . .
RUN pip install --no-cache-dir . \
 && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && python manage.py compilemessages --ignore=.venv
RUN useradd --system --uid 1000 portal && mkdir -p /data/media && chown portal /data/media
USER portal
EXPOSE 8000

"""Production: only hardening on top of base. The secret has no default."""

from .base import *  # noqa: F403
from .base import env, logging_config

SECRET_KEY = env("DJANGO_SECRET_KEY")
# No development keys in production: refuse to start without real ones.
FIELD_ENCRYPTION_KEYS = env("FIELD_ENCRYPTION_KEYS")
FIELD_ENCRYPTION_KEY_ID = env("FIELD_ENCRYPTION_KEY_ID", default="")
FIELD_HASH_KEY = env("FIELD_HASH_KEY")
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY")
DEBUG = False
DEMO_SEED_ALLOWED = False  # seed_demo would give existing staff the demo roles and password
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Probes talk plain HTTP to the pod: health answers, never a redirect to https.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/"]
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_config(level=env("LOG_LEVEL", default="INFO"), fmt=LOG_FORMAT)
# Filesystem storage in production is served by nginx's internal location (deploy/nginx).
PRIVATE_FILES_ACCEL_PREFIX = env("PRIVATE_FILES_ACCEL_PREFIX", default="/_protected/")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # evidence previews opt in per view

# Database connections are reused across requests (a new PostgreSQL connection costs a few ms
# and a backend process); health checks drop a connection that died between requests, so a
# database restart costs no failed request. DB_CONN_MAX_AGE=0 turns reuse off.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# Queue badges' choice lists and the public policy pages are cached per catalogue version;
# every process must share one cache for an edit to reach all of them: with a broker and no
# CACHE_URL, use the broker's Redis server (database 1 by default, REDIS_CACHE_DB).
if not env("CACHE_URL", default="") and env("CELERY_BROKER_URL", default=""):
    _broker = env("CELERY_BROKER_URL").rsplit("/", 1)[0]
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"{_broker}/{env.int('REDIS_CACHE_DB', default=1)}",
        }
    }

# Sessions read through the shared cache (one Redis GET instead of a database query per
# request), written through to the database. Only with a cache every process shares: logout,
# the single staff session (accounts.sessions) and cycle_key delete the cache entry along with
# the row, so a revoked session is gone for every process at once. A per-process cache would
# let another worker keep a revoked session, so then sessions stay in the database alone.
if CACHES["default"]["BACKEND"].endswith(("RedisCache", "PyMemcacheCache", "PyLibMCCache")):
    SESSION_ENGINE = env("SESSION_ENGINE", default="django.contrib.sessions.backends.cached_db")

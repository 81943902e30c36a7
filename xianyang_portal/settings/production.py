"""Production: only hardening on top of base. The secret has no default."""

from .base import *  # noqa: F403
from .base import env, logging_config

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = False
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

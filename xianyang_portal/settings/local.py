"""Developer machine: debug on, everything else from base (SQLite + eager tasks by default)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# SQLite cannot enforce NULLS NOT DISTINCT; PostgreSQL (tests, production) does.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

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
# SQLite cannot enforce NULLS NOT DISTINCT nor keep non-key index columns; PostgreSQL
# (tests, production) does both.
SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W040"]

# SQLite (the default with no DATABASE_URL): WAL lets readers run beside the one writer, the
# busy timeout makes a second writer wait instead of failing, and IMMEDIATE transactions take
# the write lock at BEGIN, so an autosave and a submit click queue up rather than deadlock
# into "database is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=30000;",
    }

# Emails go to files (one per message) so the console shows only the banner; the banner
# prints this folder.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "tmp" / "emails"))  # noqa: F405

# The letters' QR code and printed link: SITE_URL when set, otherwise the host of the
# request that started the work (core.site.site_url).
SITE_URL = env("SITE_URL", default="")
MIDDLEWARE = [*MIDDLEWARE, "core.site.SiteURLMiddleware"]  # noqa: F405

# Periodic jobs without Celery beat: `manage.py runlocal` runs CELERY_BEAT_SCHEDULE in a
# thread of the web process (same task functions as beat), every LOCAL_BEAT_SECONDS at most.
LOCAL_BEAT_SECONDS = env.int("LOCAL_BEAT_SECONDS", default=30)

LOGGING = {
    **LOGGING,  # noqa: F405
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.server": {"level": env("LOG_LEVEL", default="WARNING")},
        "django.utils.autoreload": {"level": "WARNING"},
        "kombu": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "weasyprint": {"level": "ERROR"},
    },
}

"""Test settings: PostgreSQL (DATABASE_URL, default the local test server), fast hashing."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, env, s3_storage_options

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/xianyang_portal")
}
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DB_NAME", default="test_xianyang_portal")}
# A second database standing in for the read replica. It is created only for tests that ask
# for it (databases=["default", "replica"]) and used only where they turn the routing on
# (settings.READ_REPLICA_ALIAS = "replica").
DATABASES["replica"] = {
    **DATABASES["default"],
    "TEST": {"NAME": DATABASES["default"]["TEST"]["NAME"] + "_replica"},
}
READ_REPLICA_ALIAS = None
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
# Unit tests run tasks in-process; the worker tests start a real worker and flip this off.
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=True
)  # bench workers: false
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media")))
# Filesystem unless S3_* is set (the S3 tests set it for the worker they start).
STORAGES = {
    "default": s3_storage_options(env.ENVIRON)
    or {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
# No collectstatic in tests: serve from the finders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# The password history (last 5) hashes with 200,000 PBKDF2 rounds; tests need not.
DPV_DEFAULT_HISTORY_HASHER = "tests.hashers.FastHistoryHasher"

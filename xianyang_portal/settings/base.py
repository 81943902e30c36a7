"""Settings shared by every environment; everything comes from the environment."""

import os
from pathlib import Path

# openpyxl picks its XML writer when first imported. pikepdf brings lxml, and with lxml
# openpyxl writes through lxml's incremental writer, which the spreadsheet exports' fast path
# for data rows cannot write text into (core.exports._StreamingSheet): a 10,000-line payment
# list took 8 times as long. The settings load before any app imports openpyxl.
os.environ.setdefault("OPENPYXL_LXML", "False")

import environ
import xstatic.pkg.bootstrap as xstatic_bootstrap
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from core.observability import logging_config, otel_init, sentry_init
from core.storage import s3_storage_options

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-not-a-secret-7c1d0e9b")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_password_validators",
    "django_password_validators.password_history",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_celery_beat",
    "core",
    "xianyang_portal",  # template filters (templatetags/portal.py)
    "django_prometheus",
    "outbox",
    "accounts",
    "audit",
    "measures",
    "applications",
    "reviews",
    "payments",
    "jobs",
    "integrations",
    "operations",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A lost database answers 503 (page or API error), never a bare 500.
    "core.errorpages.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.errorpages.CommonMiddleware",  # Django's, without the API's slash redirect
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every audit event of the request carries the client's address (after the proxy rules).
    "audit.middleware.AuditRequestMiddleware",
    # Its response pass runs after every view and middleware below it has set its headers.
    "core.middleware.PrivateNoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages (it explains why a session ended) and django-otp (it reads is_verified).
    "accounts.middleware.SessionRulesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "core.middleware.StorageUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside CSP, so the page it renders gets the policy headers too.
    "core.errorpages.MethodNotAllowedPageMiddleware",
    # Last, so that it sees the final login outcome (the metrics one only counts).
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "xianyang_portal.urls"
WSGI_APPLICATION = "xianyang_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

CSRF_FAILURE_VIEW = "core.errorpages.csrf_failure"  # the portal's page, in the user's language

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
# Through pgbouncer in transaction mode a server-side cursor (.iterator()) would outlive
# its transaction's server connection: turn them off there (exports then fetch in chunks).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DB_DISABLE_SERVER_SIDE_CURSORS", default=False
)
# Optional read replica: dashboards and exports read from it (core.db).
READ_REPLICA_ALIAS = None
if env("DATABASE_REPLICA_URL", default=""):
    READ_REPLICA_ALIAS = "replica"
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "DISABLE_SERVER_SIDE_CURSORS": DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"],
    }
DATABASE_ROUTERS = ["core.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    # Django's list of 20,000 common passwords, plus pinyin, keyboard and year patterns.
    {"NAME": "accounts.passwords.LocalPatternValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "django_password_validators.password_history.password_validation."
        "UniquePasswordsValidator",
        "OPTIONS": {"last_passwords": 5},
    },
]
# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. Files shown
# inline (evidence previews) carry their own `sandbox` policy (core.views).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"

# Staff sessions (every role assignment, and the admin): idle timeout and absolute end.
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
STAFF_SESSION_MAX_SECONDS = env.int("STAFF_SESSION_MAX_SECONDS", default=12 * 3600)
# Enterprise sessions too (等保: every user's session times out): longer, since an application
# form takes a while (its autosave counts as activity).
ENTERPRISE_SESSION_IDLE_SECONDS = env.int("ENTERPRISE_SESSION_IDLE_SECONDS", default=60 * 60)
ENTERPRISE_SESSION_MAX_SECONDS = env.int("ENTERPRISE_SESSION_MAX_SECONDS", default=12 * 3600)
STAFF_PASSWORD_MAX_AGE_DAYS = env.int("STAFF_PASSWORD_MAX_AGE_DAYS", default=90)
# The cookie never outlives the longest session (each login sets the idle expiry itself).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
OTP_TOTP_ISSUER = "咸阳惠企平台"
# API tokens (django-rest-knox: stored as a SHA-512 digest, expiring, revocable).
API_TOKEN_TTL_STAFF_HOURS = env.int("API_TOKEN_TTL_STAFF_HOURS", default=8)
API_TOKEN_TTL_ENTERPRISE_DAYS = env.int("API_TOKEN_TTL_ENTERPRISE_DAYS", default=30)
REST_KNOX = {"TOKEN_TTL": None, "AUTO_REFRESH": False}

# The client address: REMOTE_ADDR, or the Nth address from the right of the header a
# trusted reverse proxy sets (e.g. TRUSTED_PROXY_HEADER=HTTP_X_FORWARDED_FOR, COUNT=1 behind
# one nginx). Lockout, rate limits and the audit log all read accounts.network.client_ip.
TRUSTED_PROXY_HEADER = env("TRUSTED_PROXY_HEADER", default="")
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)

# Login lockout (django-axes): per account whatever the address, and per address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
# Failures are not wiped by a success: with the per-address parameter, a success reset every
# row of that address, so an attacker's own login from it reset the count against a victim.
# They expire after the cool-off instead.
AXES_RESET_ON_SUCCESS = False

# Rate limits (django-ratelimit on pages, DRF throttles on the API), per client address.
RATELIMIT_IP_META_KEY = "accounts.network.client_ip"
RATELIMIT_VIEW = "accounts.lockout.ratelimited"
RATE_LIMITS = {
    "login": env("RATE_LIMIT_LOGIN", default="20/m"),
    "register": env("RATE_LIMIT_REGISTER", default="10/h"),
    "password_reset": env("RATE_LIMIT_PASSWORD_RESET", default="5/h"),
    "objection": env("RATE_LIMIT_OBJECTION", default="10/h"),
    "verify": env("RATE_LIMIT_VERIFY", default="30/m"),
    "calculator": env("RATE_LIMIT_CALCULATOR", default="60/m"),
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Bootstrap comes from the XStatic-Bootstrap package, never from a CDN.
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic_bootstrap.BASE_DIR)]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Evidence and letters are private: they are never served from MEDIA_URL, only through
# views that apply the visibility selectors.
MEDIA_URL = "/_private_media_not_served/"
# S3_BUCKET (with S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, optional S3_ENDPOINT_URL for MinIO,
# S3_REGION, S3_PRESIGNED_SECONDS) puts them in an S3-compatible store; a missing or
# invalid value stops the process here, naming the setting.
STORAGES = {
    "default": s3_storage_options(env.ENVIRON)
    or {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Filesystem storage behind nginx: Django answers with X-Accel-Redirect to this internal
# location instead of streaming the file (empty: Django streams it, development only).
PRIVATE_FILES_ACCEL_PREFIX = env("PRIVATE_FILES_ACCEL_PREFIX", default="")
# Folders of the default storage swept for orphans (files no row refers to).
STORAGE_ORPHAN_FOLDERS = ["evidence", "letters", "jobs"]

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@xianyang-portal.local")

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}

# Celery: with no broker configured, tasks run in-process (eager) so the portal needs
# no services locally; with CELERY_BROKER_URL a real worker consumes them.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Every side effect is an outbox row (outbox/): tasks are fire-and-forget, so there is no
# result store, and nothing waits on the broker for a result.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# At least once: a task is acknowledged after it ran, and redelivered if its worker died.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
# Publishing from a web request never waits long: 1 s to connect, no publish retry. When the
# broker is away the outbox row waits for the sweeper.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task (hard limit 600 s), or a slow task would run twice.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 0,
}
# The outbox: a consumer holds a row this long (longer than a task's hard limit); after a
# publish the sweeper waits this long before publishing the row again.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=900)
OUTBOX_PUBLISH_GRACE_SECONDS = env.int("OUTBOX_PUBLISH_GRACE_SECONDS", default=120)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One queue per kind of work, each with its own workers (docker-compose.yml, deploy/k8s/):
# a deadline burst of letters never delays batch builds or emails.
CELERY_LETTERS_QUEUE = env("CELERY_LETTERS_QUEUE", default="letters")  # benches use their own
CELERY_QUEUE_NAMES = ["default", CELERY_LETTERS_QUEUE, "batches", "emails"]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name) for name in CELERY_QUEUE_NAMES]
# Outbox deliveries run on the queue of their kind of work (outbox/routing.py).
OUTBOX_KIND_QUEUES = {
    "letters_zip": CELERY_LETTERS_QUEUE,
    "payment_batch_fill": "batches",
    "payment_results_import": "batches",
    "notification_email": "emails",
    "address_notice_email": "emails",
    "objection_receipt_email": "emails",
}
CELERY_TASK_ROUTES = [
    "outbox.routing.route_outbox_delivery",
    {
        "reviews.letters.tasks.*": {"queue": CELERY_LETTERS_QUEUE},
        "payments.tasks.*": {"queue": "batches"},
        "accounts.tasks.notification_email*": {"queue": "emails"},
        # everything else (beat's notice check, orphan sweep, the outbox's own sweep): default
    },
]
# Tests' real workers: one queue for everything, whatever each task is routed to here.
CELERY_SINGLE_QUEUE = env("CELERY_SINGLE_QUEUE", default="")
if CELERY_SINGLE_QUEUE:
    CELERY_QUEUE_NAMES = [CELERY_SINGLE_QUEUE]
    CELERY_TASK_DEFAULT_QUEUE = CELERY_SINGLE_QUEUE
    CELERY_TASK_QUEUES = [Queue(CELERY_SINGLE_QUEUE)]
    CELERY_TASK_ROUTES = [{"*": {"queue": CELERY_SINGLE_QUEUE}}]
    OUTBOX_KIND_QUEUES = {}
# A batch of letters is split into chunks of LETTER_CHUNK, one task each, so the letters
# worker's processes (one per core) share it.
LETTER_CHUNK = env.int("LETTER_CHUNK", default=100)
# A bank-result file above either bound is imported by a worker (queue "batches") with a
# progress page, not inside the upload request.
BANK_IMPORT_ASYNC_ROWS = env.int("BANK_IMPORT_ASYNC_ROWS", default=2000)
BANK_IMPORT_ASYNC_BYTES = env.int("BANK_IMPORT_ASYNC_BYTES", default=1024 * 1024)

# Approval letters (GB/T 9704-2012): the bureau's seal image (PNG or SVG, transparent
# background); when empty the letter shows a marked placeholder in the seal area. 版记 lines.
LETTER_SEAL_IMAGE = env("LETTER_SEAL_IMAGE", default="")
# seed_demo (demo accounts with a published password) is refused where this is off.
DEMO_SEED_ALLOWED = True
LETTER_COPY_TO = env("LETTER_COPY_TO", default="市财政局")
LETTER_PRINTED_BY = env("LETTER_PRINTED_BY", default="咸阳市工业和信息化局办公室")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request gets 401 with WWW-Authenticate.
        "accounts.tokens.PortalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.AuditorReadOnly",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.apischema.PortalAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON only: DRF's browsable HTML pages (Accept: text/html) answered errors as HTML and
    # showed forms the portal's CSP and style do not cover; the schema UI is /api/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON nesting depth is limited before parsing; every body refuses control characters
    # (core.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.LimitedJSONParser",
        "core.parsers.CheckedFormParser",
        "core.parsers.CheckedMultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("RATE_LIMIT_TOKEN", default="10/minute"),
        "calculator": env("RATE_LIMIT_CALCULATOR_API", default="60/minute"),
        "integration": env("INTEGRATION_RATE", default="600/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "咸阳市惠企政策申报与审核平台 API",
    "DESCRIPTION": "API for 咸工信发〔2025〕70号 applications, reviews, letters and payments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation documents the error format {code, message, detail} (core.apischema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.apischema.error_responses",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LetterStateEnum": "reviews.models.Letter.State",
        "JobStateEnum": "jobs.models.Job.State",
        "BatchStateEnum": "payments.models.BatchState",
    },
}

# Uploads: evidence limits (bytes / count), checked by content in applications.uploads.
EVIDENCE_MAX_FILE_BYTES = env.int("EVIDENCE_MAX_FILE_BYTES", default=20 * 1024 * 1024)
EVIDENCE_MAX_APPLICATION_BYTES = env.int(
    "EVIDENCE_MAX_APPLICATION_BYTES", default=100 * 1024 * 1024
)
EVIDENCE_MAX_FILES = env.int("EVIDENCE_MAX_FILES", default=30)
# Replaced files are kept (the reviewers' history): at most this many versions of a material,
# and this much kept per application, old versions included.
EVIDENCE_MAX_VERSIONS = env.int("EVIDENCE_MAX_VERSIONS", default=10)
EVIDENCE_MAX_KEPT_BYTES = env.int("EVIDENCE_MAX_KEPT_BYTES", default=300 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploads above 256 KiB are spooled to a temporary file by Django's upload handler, checked
# as a stream and moved into storage: a 20 MB evidence file never sits in a worker's memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

# Personal data at rest: SM4-GCM with HMAC-SM3 lookups (core.crypto). Keys are
# `kid:32-hex-digits` pairs; FIELD_ENCRYPTION_KEY_ID (default: the first) encrypts new values,
# the others still decrypt until `manage.py rotate_field_keys` has re-encrypted everything.
# These defaults are fixed development keys; production.py has no defaults.
FIELD_ENCRYPTION_KEYS = env(
    "FIELD_ENCRYPTION_KEYS", default="dev2025:00112233445566778899aabbccddeeff"
)
FIELD_ENCRYPTION_KEY_ID = env("FIELD_ENCRYPTION_KEY_ID", default="")
FIELD_HASH_KEY = env("FIELD_HASH_KEY", default="0f1e2d3c4b5a69788796a5b4c3d2e1f0")
# The audit chain's HMAC-SM3 key: without it an event cannot be re-hashed unnoticed.
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default="a0b1c2d3e4f5a6b7c8d9eaf0b1c2d3e4")
# Events younger than this are never deleted (the database trigger enforces 180 at least).
AUDIT_RETENTION_DAYS = max(180, env.int("AUDIT_RETENTION_DAYS", default=180))
# ClamAV: a unix socket, or host and port; unset = no virus scan (local demo).
CLAMD_SOCKET = env("CLAMD_SOCKET", default="")
CLAMD_HOST = env("CLAMD_HOST", default="")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
CLAMD_TIMEOUT = env.float("CLAMD_TIMEOUT", default=30.0)

# Logs carry the request id (also in Celery tasks); LOG_FORMAT=json for one object a line.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = logging_config(level=env("LOG_LEVEL", default="INFO"), fmt=LOG_FORMAT)

# Prometheus scrapes /metrics on each pod (not routed by nginx); a bearer token if set.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
PROMETHEUS_EXPORT_MIGRATIONS = False

# Optional error tracking and tracing: the packages are imported only when configured.
sentry_init(
    env("SENTRY_DSN", default=""),
    environment=env("SENTRY_ENVIRONMENT", default="production"),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)
otel_init(env("OTEL_EXPORTER_OTLP_ENDPOINT", default=""))

# Webhook receivers the tests run on loopback (plain http); never set in production.
WEBHOOK_TRUSTED_TEST_HOSTS: list[str] = []
CELERY_BEAT_SCHEDULE = {
    "push-opened-rounds": {
        "task": "integrations.tasks.push_opened_rounds",
        "schedule": env.int("PUSH_CHECK_SECONDS", default=3600),
    },
    "finish-due-notices": {
        "task": "reviews.tasks.finish_due_notices",
        "schedule": env.int("NOTICE_CHECK_SECONDS", default=3600),
    },
    "send-reminders": {
        "task": "reviews.tasks.send_reminders",
        "schedule": env.int("REMINDER_CHECK_SECONDS", default=3600),
    },
    "delete-orphan-files": {"task": "jobs.tasks.orphan_files_delete", "schedule": 24 * 3600},
    "files-sweep": {
        "task": "outbox.tasks.files_sweep",
        "schedule": env.int("FILES_SWEEP_SECONDS", default=6 * 3600),
    },
    "outbox-sweep": {
        "task": "outbox.tasks.outbox_sweep",
        "schedule": env.int("OUTBOX_SWEEP_SECONDS", default=60),
    },
}
# The public notice's issuing body and where the public sends objections (shown on it).
NOTICE_ISSUER = env("NOTICE_ISSUER", default="咸阳市工业和信息化局")
NOTICE_CONTACT_PHONE = env("NOTICE_CONTACT_PHONE", default="029-33219876")
NOTICE_CONTACT_ADDRESS = env(
    "NOTICE_CONTACT_ADDRESS", default="咸阳市秦都区人民路西段1号 市工信局政策法规科（邮编712000）"
)
# Reminders: drafts this many days before their round closes; a 补正 this many working
# days before its deadline (and once when it is overdue).
DRAFT_REMINDER_DAYS = env.int("DRAFT_REMINDER_DAYS", default=3)
CORRECTION_REMINDER_WORKING_DAYS = env.int("CORRECTION_REMINDER_WORKING_DAYS", default=2)
AXES_VERBOSE = False

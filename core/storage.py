"""Where private files live, how they are served, and how orphans are removed.

Evidence, letters and job results (exports, letter ZIPs) use Django's default storage: the
filesystem unless ``S3_BUCKET`` is set, then an S3-compatible store (MinIO or any S3
service) through django-storages. The permission check always happens in Django (the
callers' selectors); the bytes are then handed over by a short-lived presigned URL (S3) or
by the proxy (``X-Accel-Redirect``, filesystem behind nginx), so a sync worker never
streams a file in production.

``s3_storage_options`` is called while the settings load: a missing or invalid setting
raises ImproperlyConfigured naming it, so the process refuses to start.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from urllib.parse import quote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from .errors import StorageUnavailable

logger = logging.getLogger(__name__)

S3_BACKEND = "core.s3.PrivateS3Storage"
S3_SETTINGS = (
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_PUBLIC_ENDPOINT_URL",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_REGION",
    "S3_PRESIGNED_SECONDS",
    "S3_ADDRESSING_STYLE",
)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _refuse(name: str, why: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}: {why}")


def s3_storage_options(environ: Mapping[str, str]) -> dict | None:
    """The default-storage entry for S3 from the environment, or None for the filesystem."""
    given = {name: environ.get(name, "").strip() for name in S3_SETTINGS}
    if not given["S3_BUCKET"]:
        stray = [name for name, value in given.items() if value]
        if stray:
            raise _refuse("S3_BUCKET", f"is empty but {', '.join(stray)} is set")
        return None
    bucket = given["S3_BUCKET"]
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise _refuse("S3_BUCKET", f"{bucket!r} is not a valid bucket name")
    for name in ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        if not given[name]:
            raise _refuse(name, "is required when S3_BUCKET is set")
    for name in ("S3_ENDPOINT_URL", "S3_PUBLIC_ENDPOINT_URL"):
        parsed = urlparse(given[name])
        if given[name] and (parsed.scheme not in ("http", "https") or not parsed.netloc):
            raise _refuse(name, f"{given[name]!r} is not an http(s) URL")
    seconds_text = given["S3_PRESIGNED_SECONDS"] or "300"
    try:
        seconds = int(seconds_text)
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= 3600:
        raise _refuse("S3_PRESIGNED_SECONDS", f"{seconds_text!r} is not between 1 and 3600")
    style = given["S3_ADDRESSING_STYLE"] or "path"
    if style not in ("path", "virtual", "auto"):
        raise _refuse("S3_ADDRESSING_STYLE", f"{style!r} is not path, virtual or auto")

    from botocore.config import Config

    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": given["S3_ENDPOINT_URL"] or None,
            "public_endpoint_url": given["S3_PUBLIC_ENDPOINT_URL"] or None,
            "access_key": given["S3_ACCESS_KEY_ID"],
            "secret_key": given["S3_SECRET_ACCESS_KEY"],
            "region_name": given["S3_REGION"] or "us-east-1",
            "default_acl": None,  # the bucket stays private; objects inherit it
            "querystring_auth": True,
            "querystring_expire": seconds,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": style,
            # Fail fast when the store is away: the request answers 503 instead of hanging.
            "client_config": Config(
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 2, "mode": "standard"},
                s3={"addressing_style": style},
                signature_version="s3v4",
            ),
        },
    }


# --- serving --------------------------------------------------------------------------------


def storage_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the store cannot be reached or refused the operation"."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return tuple(errors)
    return (*errors, BotoCoreError, ClientError)


def storage_unavailable() -> StorageUnavailable:
    message = _("文件存储暂时无法访问，请稍后再试。")
    return StorageUnavailable(message, detail={"file": [message]})


def is_missing(exc: BaseException) -> bool:
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey", "NotFound")


def is_s3(storage) -> bool:
    return getattr(storage, "presigned_downloads", False)


def content_disposition(filename: str, *, inline: bool) -> str:
    kind = "inline" if inline else "attachment"
    ascii_name = filename.encode("ascii", "ignore").decode() or "file"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# --- orphans --------------------------------------------------------------------------------


def stored_file_fields() -> Iterator[tuple[type, str]]:
    """Every (model, field name) that keeps a file in the default storage."""
    from django.apps import apps
    from django.core.files.storage import default_storage
    from django.db.models import FileField

    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FileField) and field.storage is default_storage:
                yield model, field.name


def _walk(storage, prefix: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}" if prefix else name
    for directory in directories:
        yield from _walk(storage, f"{prefix}/{directory}" if prefix else directory)


def orphans_delete(
    *, older_than: timedelta = timedelta(days=1), dry_run: bool = False
) -> list[str]:
    """Delete stored files no row refers to (a rolled-back upload, a replaced ZIP).

    Only files older than ``older_than`` go, so an upload whose transaction is still open
    is never taken. Only the folders the file fields write to are walked
    (``STORAGE_ORPHAN_FOLDERS``).
    """
    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.utils import timezone

    referenced: set[str] = set()
    for model, field_name in stored_file_fields():
        referenced.update(
            model._default_manager.exclude(**{field_name: ""}).values_list(field_name, flat=True)
        )
    cutoff = timezone.now() - older_than
    deleted: list[str] = []
    for prefix in settings.STORAGE_ORPHAN_FOLDERS:
        for name in _walk(default_storage, prefix):
            if name in referenced:
                continue
            if default_storage.get_modified_time(name) > cutoff:
                continue
            if not dry_run:
                default_storage.delete(name)
            deleted.append(name)
    if deleted:
        logger.info("Deleted %d orphan files", len(deleted), extra={"files": deleted[:50]})
    return deleted

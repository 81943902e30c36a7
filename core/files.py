"""Stored files follow their database transaction.

- `files_follow_transaction()` around a service's transaction: a file saved inside it is
  deleted again if the transaction does not commit (an error, a lost database at COMMIT).
- `files_sweep()` (beat) removes files no row refers to, older than a day (a process killed
  between writing a file and committing its row), and logs each one.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models

logger = logging.getLogger(__name__)

ORPHAN_AGE_SECONDS = 24 * 3600


@contextmanager
def files_follow_transaction() -> Iterator[Callable[[models.fields.files.FieldFile], None]]:
    """Yield `track(field_file)`; tracked files are deleted if the block raises."""
    written: list[tuple[object, str]] = []

    def track(field_file) -> None:
        if field_file and field_file.name:
            written.append((field_file.storage, field_file.name))

    try:
        yield track
    except BaseException:
        for storage, name in written:
            try:
                storage.delete(name)
            except OSError:
                logger.exception("Could not remove %s after a rollback", name)
        raise


def _referenced_names() -> set[str]:
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(
                    model._default_manager.exclude(**{field.name: ""})
                    .values_list(field.name, flat=True)
                    .iterator(chunk_size=5000)
                )
    return names


def files_sweep(*, older_than_seconds: int = ORPHAN_AGE_SECONDS) -> list[str]:
    """Delete media files that no row refers to and that are older than the given age."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    referenced = _referenced_names()
    cutoff = time.time() - older_than_seconds
    removed: list[str] = []
    for directory, _dirs, files in os.walk(root):
        for filename in files:
            path = Path(directory) / filename
            name = path.relative_to(root).as_posix()
            if name in referenced:
                continue
            try:
                if path.stat().st_mtime > cutoff:
                    continue  # maybe a transaction still in progress
                default_storage.delete(name)
            except OSError:
                logger.exception("Could not remove the unreferenced file %s", name)
                continue
            logger.warning("Removed unreferenced file %s", name)
            removed.append(name)
    return removed

"""Virus scanning of uploads through clamd (ClamAV), when CLAMD_SOCKET or CLAMD_HOST is set."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import IO

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanOutcome:
    state: str  # "clean", "infected" or "error"
    signature: str = ""


def scanning_enabled() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _scanner() -> ClamdUnixSocket | ClamdNetworkSocket:
    if settings.CLAMD_SOCKET:
        return ClamdUnixSocket(path=settings.CLAMD_SOCKET, timeout=settings.CLAMD_TIMEOUT)
    return ClamdNetworkSocket(
        host=settings.CLAMD_HOST, port=settings.CLAMD_PORT, timeout=settings.CLAMD_TIMEOUT
    )


def scan_file(handle: IO[bytes]) -> ScanOutcome:
    """Stream the file to clamd (INSTREAM), from where it stands, in the client's chunks, so
    it is never in memory whole. An unreachable daemon is an `error`, never clean."""
    try:
        result = _scanner().instream(handle)
    except (ClamdError, OSError) as exc:
        logger.warning("clamd scan failed: %s", exc)
        return ScanOutcome("error")
    status, signature = next(iter(result.values()), ("ERROR", ""))
    if status == "OK":
        return ScanOutcome("clean")
    if status == "FOUND":
        return ScanOutcome("infected", signature or "")
    logger.warning("clamd answered %s %s", status, signature)
    return ScanOutcome("error")

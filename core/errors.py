"""The one exception type for domain errors: services raise it, UI and API render it."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user can act on: a Chinese message, a stable code, optional details."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid", detail: Any = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.detail = detail if detail is not None else {}


class NotAllowed(DomainError):
    status_code = 403

    def __init__(self, message: str, *, code: str = "forbidden", detail: Any = None) -> None:
        super().__init__(message, code=code, detail=detail)


class Conflict(DomainError):
    """The object moved on (stale page, double click, budget exhausted)."""

    status_code = 409

    def __init__(self, message: str, *, code: str = "conflict", detail: Any = None) -> None:
        super().__init__(message, code=code, detail=detail)


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str, *, code: str = "not_found", detail: Any = None) -> None:
        super().__init__(message, code=code, detail=detail)


class StorageUnavailable(DomainError):
    """The file store cannot be reached: downloads answer 503, uploads are refused."""

    status_code = 503

    def __init__(
        self, message: str, *, code: str = "storage_unavailable", detail: Any = None
    ) -> None:
        super().__init__(message, code=code, detail=detail)

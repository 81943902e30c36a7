"""Small helpers shared by the HTML views of every app."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from .errors import DomainError
from .storage import (
    content_disposition,
    is_missing,
    is_s3,
    storage_errors,
    storage_unavailable,
)


def apply_error_to_form(form: forms.Form, exc: ValidationError | DomainError) -> None:
    """Show a service's refusal next to the field it names, or at the top of the form."""
    if isinstance(exc, DomainError):
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        placed = False
        for field, message in detail.items():
            if field in form.fields:
                form.add_error(field, message if isinstance(message, list | str) else str(message))
                placed = True
        if not placed:
            form.add_error(None, exc.message)
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def private_file_response(
    field_file, *, filename: str, content_type: str | None = None, inline: bool = False
) -> HttpResponse:
    """Hand over a private file after the caller's selector allowed it.

    S3: a redirect to a presigned URL valid for ``S3_PRESIGNED_SECONDS``. Filesystem behind
    nginx (``PRIVATE_FILES_ACCEL_PREFIX`` set): an empty response whose ``X-Accel-Redirect``
    makes nginx send the file from its internal location. Otherwise (development, tests)
    Django streams it. 404 if the file is gone; 503 if the store cannot be reached.
    """
    if not field_file:
        raise Http404(_("文件暂不可用，请联系管理员。"))
    storage, name = field_file.storage, field_file.name
    disposition = content_disposition(filename, inline=inline)
    try:
        if not storage.exists(name):
            raise Http404(_("文件暂不可用，请联系管理员。"))
        if is_s3(storage):
            parameters = {"ResponseContentDisposition": disposition}
            if content_type:
                parameters["ResponseContentType"] = content_type
            response = HttpResponseRedirect(storage.url(name, parameters=parameters))
        elif settings.PRIVATE_FILES_ACCEL_PREFIX:
            response = HttpResponse(content_type=content_type or "application/octet-stream")
            response["X-Accel-Redirect"] = settings.PRIVATE_FILES_ACCEL_PREFIX + quote(name)
            response["Content-Disposition"] = disposition
        else:
            response = FileResponse(
                field_file.open("rb"),
                content_type=content_type,
                as_attachment=not inline,
                filename=filename,
            )
    except storage_errors() as exc:
        if is_missing(exc):
            raise Http404(_("文件暂不可用，请联系管理员。")) from exc
        raise storage_unavailable() from exc
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def flash_error(request: HttpRequest, exc: DomainError | ValidationError) -> None:
    text = exc.message if isinstance(exc, DomainError) else "；".join(exc.messages)
    messages.error(request, text)

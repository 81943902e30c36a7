"""Small helpers shared by the HTML views of every app."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from .errors import DomainError


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
) -> FileResponse:
    """Serve a stored private file after the caller's selector allowed it; 404 if it is gone."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("文件暂不可用，请联系管理员。")) from exc
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def flash_error(request: HttpRequest, exc: DomainError | ValidationError) -> None:
    text = exc.message if isinstance(exc, DomainError) else "；".join(exc.messages)
    messages.error(request, text)

"""Small helpers shared by the HTML views of every app (forms and messages)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

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


def flash_error(request: HttpRequest, exc: DomainError | ValidationError) -> None:
    text = exc.message if isinstance(exc, DomainError) else "；".join(exc.messages)
    messages.error(request, text)

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from measures.calendar import calendar_warning
from outbox.services import outbox_retry

from . import selectors


def _require_operator(request: HttpRequest) -> None:
    if not selectors.can_operate(request.user):
        raise PermissionDenied


def operations(request: HttpRequest) -> HttpResponse:
    """Backlog and failures of the side effects, with a retry button."""
    _require_operator(request)
    return render(
        request,
        "operations/operations.html",
        {
            "backlog": selectors.outbox_backlog(user=request.user),
            "problems": selectors.outbox_problems(user=request.user),
            "calendar_warning": calendar_warning(),
        },
    )


@require_POST
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    _require_operator(request)
    if not selectors.outbox_messages_visible_to(user=request.user).filter(pk=message_id).exists():
        raise Http404
    try:
        outbox_retry(actor=request.user, message_id=message_id)
    except DomainError as exc:  # delivered meanwhile (a second click, the relay was faster)
        messages.info(request, exc.message)
    else:
        messages.success(request, _("已重新排队投递。"))
    return redirect("operations:index")

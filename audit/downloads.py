"""Private files handed to the user a selector allowed: every download is a security event in
the audit trail, served by the storage the file is in (S3 presigned URL, nginx, or Django)."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from core.storage import (
    content_disposition,
    is_missing,
    is_s3,
    storage_errors,
    storage_unavailable,
)

from .services import audit_security_event

# Types a browser may show inline; anything else (OFD, ...) is always a download.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
# A file shown inline runs in a sandbox with no script, form, plugin or network access of its
# own (served with this policy instead of the pages' one).
SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def private_file_response(
    field_file,
    *,
    request: HttpRequest,
    obj,
    filename: str,
    content_type: str | None = None,
    inline: bool = False,
) -> HttpResponse:
    """Hand over a private file after the caller's selector allowed it; every download is a
    security event in the audit trail.

    S3: a redirect to a presigned URL valid for ``S3_PRESIGNED_SECONDS``. Filesystem behind
    nginx (``PRIVATE_FILES_ACCEL_PREFIX`` set): an empty response whose ``X-Accel-Redirect``
    makes nginx send the file from its internal location. Otherwise (development, tests)
    Django streams it. 404 if the file is gone; 503 if the store cannot be reached.
    """
    inline = inline and content_type in INLINE_TYPES
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
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("文件暂不可用，请联系管理员。")) from exc
    audit_security_event(
        actor=request.user,
        action="security.download",
        request=request,
        target=obj,
        detail={"file": filename, "inline": inline},
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = SANDBOX_CSP
    return response

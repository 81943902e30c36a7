from __future__ import annotations

import json

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone

from applications.labels import event_label
from core.exports import new_workbook, official, workbook_response, write_sheet


def _object_type(label: str) -> str:
    """ "applications.application" → 申报 (the model's name as the admin shows it)."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def _change(values: dict | None) -> str:
    """The recorded values as JSON, as stored (not Python's repr: {'amount': None})."""
    if not values:
        return ""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)


@official  # a record for an assessor: one language, whatever the auditor's pages are in
def audit_events_xlsx(events) -> HttpResponse:
    workbook = new_workbook()
    types: dict[str, str] = {}
    rows = (
        (
            timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
            str(e.actor) if e.actor else "系统",
            event_label(e.action),
            types.setdefault(e.object_type, _object_type(e.object_type)),
            e.object_repr,
            _change(e.before),
            _change(e.after),
            e.comment,
        )
        for e in events.iterator(chunk_size=2000)
    )
    write_sheet(
        workbook,
        title="审计日志",
        headers=["时间", "操作人", "动作", "对象类型", "对象", "变更前", "变更后", "意见"],
        rows=rows,
        widths=[20, 16, 28, 24, 40, 40, 40, 40],
    )
    return workbook_response(workbook, f"审计日志-{timezone.localdate():%Y%m%d}.xlsx")

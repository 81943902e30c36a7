from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone

from applications.labels import event_label
from core.exports import new_workbook, workbook_response, write_sheet


def audit_events_xlsx(events) -> HttpResponse:
    workbook = new_workbook()
    rows = (
        (
            timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
            str(e.actor) if e.actor else "系统",
            event_label(e.action),
            e.object_type,
            e.object_repr,
            str(e.before),
            str(e.after),
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

"""Payment pages: batch list, build, review, lock, exports, results, dashboard.

Every page reads through `batches_visible_to` (finance and auditor); every write goes to a
service, which refuses anyone but finance.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.summaries import summaries_version
from audit.services import audit_security_event
from core.db import replica_reads
from core.errors import DomainError
from core.exports import workbook_response
from core.forms import form_markup
from core.money import amount_in_capitals, format_yuan
from core.text import parse_id
from core.views import apply_error_to_form, flash_error
from jobs.models import Job
from measures.selectors import catalogue_version

from . import exports, selectors, services
from .charts import Series, bar_chart
from .forms import BuildForm, DashboardFilterForm, ImportForm, MarkLinesForm, RemoveLinesForm
from .models import BatchState, LineState, PaymentBatch

LINES_PER_PAGE = 100
EXPORT_FORMATS = ("xlsx", "csv", "pdf", "result-template")


def _require_viewer(request: HttpRequest) -> None:
    if not selectors.can_see_payments(request.user):
        raise PermissionDenied


def _batch(request: HttpRequest, reference: str) -> PaymentBatch:
    return get_object_or_404(selectors.batches_visible_to(user=request.user), reference=reference)


def _selected(request: HttpRequest) -> list[int]:
    return [i for i in map(parse_id, request.POST.getlist("lines")) if i is not None]


def batch_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    batches = selectors.batches_visible_to(user=request.user)
    state = request.GET.get("state", "")
    if state in BatchState.values:
        batches = batches.filter(state=state)
    if request.GET.get("export") == "xlsx":
        audit_security_event(
            actor=request.user,
            action="security.export",
            request=request,
            detail={"export": "payment_batches"},
        )
        with replica_reads():
            return workbook_response(exports.batches_workbook(batches), _("拨付批次.xlsx"))
    counts = {
        row["state"]: row["n"]
        for row in selectors.batches_visible_to(user=request.user)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return render(
        request,
        "payments/batch_list.html",
        {
            "page": Paginator(batches, 50).get_page(request.GET.get("page")),
            "state": state,
            "states": [(value, label, counts.get(value, 0)) for value, label in BatchState.choices],
            "can_manage": selectors.can_manage_payments(request.user),
        },
    )


def batch_new(request: HttpRequest) -> HttpResponse:
    if not selectors.can_manage_payments(request.user):
        raise PermissionDenied
    form = BuildForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.payment_batch_build(
                actor=request.user, filters=form.filters(), note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            apply_error_to_form(form, exc)
        else:
            return redirect("jobs:status", batch.job_id)
    return render(request, "payments/batch_new.html", {"form": form})


def _detail(request: HttpRequest, batch: PaymentBatch, *, status: int = 200, **forms):
    state = request.GET.get("line_state", "")
    query = request.GET.get("q", "")[:60]
    lines = selectors.batch_lines(batch, state=state, query=query)
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    can_manage = selectors.can_manage_payments(request.user)
    totals = selectors.batch_totals(batch)
    context = {
        "batch": batch,
        "totals": totals,
        "grand_figures": format_yuan(totals.amount),
        "grand_capitals": amount_in_capitals(totals.amount),
        "page": page,
        "line_state": state,
        "line_states": LineState.choices,
        "q": query,
        "query": params.urlencode(),
        "can_manage": can_manage,
        "flagged": selectors.batch_lines(batch, state=LineState.PENDING).filter(
            bank_changed=True, bank_confirmed_at__isnull=True
        ),
        "remove_form": forms.get("remove_form") or RemoveLinesForm(prefix="remove"),
        "mark_form": forms.get("mark_form") or MarkLinesForm(prefix="mark"),
        "import_form": forms.get("import_form") or ImportForm(),
        "import_problems": forms.get("import_problems") or [],
        "job": batch.job,
        "can_resume": can_manage and services.build_stalled(batch),
    }
    return render(request, "payments/batch_detail.html", context, status=status)


def batch_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail(request, _batch(request, reference))


@require_POST
def batch_lock(request: HttpRequest, reference: str) -> HttpResponse:
    batch = _batch(request, reference)
    try:
        services.payment_batch_lock(actor=request.user, batch_id=batch.pk)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("批次已锁定，可以导出拨付清单。"))
    return redirect("payments:batch_detail", batch.reference)


@require_POST
def batch_resume(request: HttpRequest, reference: str) -> HttpResponse:
    batch = _batch(request, reference)
    try:
        batch = services.payment_batch_resume(actor=request.user, batch_id=batch.pk)
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("payments:batch_detail", batch.reference)
    return redirect("jobs:status", batch.job_id)


@require_POST
def lines_remove(request: HttpRequest, reference: str) -> HttpResponse:
    batch = _batch(request, reference)
    form = RemoveLinesForm(request.POST, prefix="remove")
    if form.is_valid():
        try:
            count = services.payment_lines_remove(
                actor=request.user,
                batch_id=batch.pk,
                line_ids=_selected(request),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_error_to_form(form, exc)
        else:
            messages.success(request, _("已移出 %(n)d 笔明细。") % {"n": count})
            return redirect("payments:batch_detail", batch.reference)
    return _detail(request, batch, status=400, remove_form=form)


@require_POST
def lines_confirm_bank(request: HttpRequest, reference: str) -> HttpResponse:
    batch = _batch(request, reference)
    try:
        count = services.payment_lines_confirm_bank(
            actor=request.user, batch_id=batch.pk, line_ids=_selected(request)
        )
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("已确认 %(n)d 笔收款账户变更。") % {"n": count})
    return redirect("payments:batch_detail", batch.reference)


@require_POST
def lines_mark(request: HttpRequest, reference: str) -> HttpResponse:
    batch = _batch(request, reference)
    form = MarkLinesForm(request.POST, prefix="mark")
    if form.is_valid():
        try:
            count = services.payment_lines_mark(
                actor=request.user,
                batch_id=batch.pk,
                line_ids=_selected(request),
                result=form.cleaned_data["result"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_error_to_form(form, exc)
        else:
            messages.success(
                request,
                _("已登记 %(n)d 笔为“%(result)s”。")
                % {"n": count, "result": LineState(form.cleaned_data["result"]).label},
            )
            return redirect("payments:batch_detail", batch.reference)
    return _detail(request, batch, status=400, mark_form=form)


@require_POST
def results_import(request: HttpRequest, reference: str) -> HttpResponse:
    batch = _batch(request, reference)
    form = ImportForm(request.POST, request.FILES)
    problems = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outcome = services.payment_results_import_start(
                actor=request.user,
                batch_id=batch.pk,
                file_name=upload.name,
                data=upload.read(),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            problems = exc.detail.get("rows", []) if isinstance(exc.detail, dict) else []
        else:
            if isinstance(outcome, Job):  # a large file: a worker imports it
                return redirect("payments:import_status", batch.reference, outcome.pk)
            messages.success(request, services.results_import_message(outcome))
            return redirect("payments:batch_detail", batch.reference)
    return _detail(request, batch, status=400, import_form=form, import_problems=problems)


def _import_job(request: HttpRequest, reference: str, job_id: int):
    found = selectors.results_import_job(user=request.user, reference=reference, job_id=job_id)
    if found is None:
        raise Http404
    return found


def import_status(request: HttpRequest, reference: str, job_id: int) -> HttpResponse:
    """A bank-result import run by a worker: a progress bar, then its outcome or bad rows."""
    batch, job = _import_job(request, reference, job_id)
    return render(
        request,
        "payments/import_status.html",
        {
            "batch": batch,
            "job": job,
            "problems": job.params.get("problems", []),
            "problem_count": job.params.get("problem_count", 0),
            "outcome": job.params.get("outcome"),
        },
    )


def import_status_json(request: HttpRequest, reference: str, job_id: int) -> JsonResponse:
    _unused, job = _import_job(request, reference, job_id)
    return JsonResponse(
        {
            "state": job.state,
            "percent": job.percent,
            "message": job.message,
            "finished": job.state in (Job.State.DONE, Job.State.FAILED),
            "outcome": job.params.get("outcome"),
            "problem_count": job.params.get("problem_count", 0),
        }
    )


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    return response


def export_response(grant: services.ExportGrant, fmt: str) -> HttpResponse:
    """The file itself; callers have checked visibility and recorded the export."""
    batch, full = grant.batch, grant.full_accounts
    name = f"拨付明细-{batch.reference}"
    if fmt == "xlsx":
        response = workbook_response(
            exports.payment_list_workbook(batch, full_accounts=full), f"{name}.xlsx"
        )
        response["Cache-Control"] = "private, no-store"
        return response
    if fmt == "result-template":
        workbook = exports.bank_result_template_workbook(batch, full_accounts=full)
        response = workbook_response(workbook, f"银行回单模板-{batch.reference}.xlsx")
        response["Cache-Control"] = "private, no-store"
        return response
    if fmt == "csv":
        return _attachment(
            StreamingHttpResponse(
                exports.payment_list_csv(batch, full_accounts=full),
                content_type="text/csv; charset=utf-8",
            ),
            f"{name}.csv",
        )
    return _attachment(
        HttpResponse(exports.batch_summary_pdf(batch), content_type="application/pdf"),
        f"拨付批次汇总表-{batch.reference}.pdf",
    )


def batch_export(request: HttpRequest, reference: str, fmt: str) -> HttpResponse:
    batch = _batch(request, reference)
    if fmt not in EXPORT_FORMATS:
        raise Http404
    try:
        grant = services.payment_batch_export_record(actor=request.user, batch_id=batch.pk, fmt=fmt)
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("payments:batch_detail", batch.reference)
    return export_response(grant, fmt)


# --- dashboard ------------------------------------------------------------------------------


def _charts(figures: selectors.Dashboard) -> list:
    awarded_paid = [Series(_("核定金额"), "primary"), Series(_("已拨付金额"), "tertiary")]
    return [
        bar_chart(
            title=_("各措施核定与拨付金额"),
            categories=[row.label for row in figures.by_measure],
            series=awarded_paid,
            values=[[row.awarded_amount, row.paid_amount] for row in figures.by_measure],
            chart_id="chart-measure",
        ),
        bar_chart(
            title=_("各县市区/园区核定与拨付金额"),
            categories=[row.label for row in figures.by_county],
            series=awarded_paid,
            values=[[row.awarded_amount, row.paid_amount] for row in figures.by_county],
            chart_id="chart-county",
        ),
        bar_chart(
            title=_("预算、已核定与已拨付"),
            categories=[f"{row.measure}（{row.round_name}）" for row in figures.budgets],
            series=[
                Series(_("预算"), "secondary"),
                Series(_("已核定"), "primary"),
                Series(_("已拨付"), "tertiary"),
            ],
            values=[[row.budget, row.committed, row.paid] for row in figures.budgets],
            chart_id="chart-budget",
        ),
    ]


def dashboard(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_dashboard(request.user):
        raise PermissionDenied
    form = DashboardFilterForm(request.GET or None)
    round_id = form.cleaned_data["round"] if form.is_valid() else None
    # One summaries version for the whole request: the figures and their markup are cached
    # under the same one, and the figures are only read when the markup must be built.
    version = summaries_version()

    def figures() -> selectors.Dashboard:
        with replica_reads():
            return selectors.dashboard_figures(
                user=request.user, round_id=round_id, version=version
            )

    if request.GET.get("export") == "xlsx":
        table = request.GET.get("table")
        tables = [table] if table in exports.DASHBOARD_TABLES else None
        audit_security_event(
            actor=request.user,
            action="security.export",
            request=request,
            detail={"export": "dashboard", "tables": tables or "all"},
        )
        return workbook_response(exports.dashboard_workbook(figures(), tables), _("数据看板.xlsx"))
    params = request.GET.copy()
    params.pop("export", None)
    params.pop("table", None)
    query = params.urlencode()

    def figures_html() -> str:
        shown = figures()
        return render_to_string(
            "payments/_dashboard_figures.html",
            {
                "figures": shown,
                "charts": _charts(shown),
                "tables": [
                    ("by_measure", exports.DASHBOARD_TABLES["by_measure"], shown.by_measure),
                    ("by_county", exports.DASHBOARD_TABLES["by_county"], shown.by_county),
                    ("by_round", exports.DASHBOARD_TABLES["by_round"], shown.by_round),
                    ("by_status", exports.DASHBOARD_TABLES["by_status"], shown.by_status),
                ],
                "query": query,
            },
        )

    return render(
        request,
        "payments/dashboard.html",
        {
            "form": form,
            # The round select is the same for the same round chosen (its options change with
            # the catalogue only): rendered once per catalogue version, language and value.
            "round_select": form_markup(
                form, "round", lambda: form["round"], version=catalogue_version()
            ),
            # The figures' markup (headline, charts, tables: ~700 template variables) is
            # rendered once per summaries version, like the figures themselves; the export
            # links carry the query string, so it is part of the key.
            "figures_html": mark_safe(  # noqa: S308 - rendered by the template engine (escaped)
                selectors.dashboard_cached(
                    user=request.user,
                    round_id=round_id,
                    name=f"html:{hashlib.sha256(query.encode()).hexdigest()[:16]}",
                    build=figures_html,
                    version=version,
                )
            ),
            "query": query,
            # The columns the list shows only (not the creator, locker and job rows).
            "batches": selectors.batches_visible_to(user=request.user)
            .select_related(None)
            .only("reference", "state", "line_count", "total_amount")[:10]
            if selectors.can_see_payments(request.user)
            else [],
        },
    )

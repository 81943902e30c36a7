from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from accounts.lockout import rate
from accounts.models import Role
from accounts.selectors import user_scopes
from applications.ledger import headroom_for
from applications.lifecycle.engine import TransitionRequest
from applications.lifecycle.transitions import Action
from applications.models import Application, ApplicationMaterial, Status
from applications.selectors import (
    application_timeline,
    current_materials,
    organisation_other_cases,
)
from audit.downloads import private_file_response
from audit.services import audit_security_event
from core.db import replica_reads
from core.errors import DomainError, NotAllowed
from core.forms import form_markup
from core.text import parse_id
from core.views import apply_error_to_form, flash_error
from measures.rules.describe import fact_rows
from measures.selectors import catalogue_version

from . import notices, selectors, services
from .effects import correction_deadline
from .exports import audit_events_xlsx
from .forms import ActionForm, NoticeStartForm, ObjectionForm
from .models import Notice, NoticeEntry, Objection
from .rows import QUEUE_ROW_FIELDS, queue_rows

PAGE_SIZE = 25
NOTICE_PAGE_SIZE = 100  # one notice holds at most a page of the pending cases
EARLIER_SHOWN = 20
BULK_ACTIONS = services.BULK_ACTIONS


def _require_reviewer(request: HttpRequest) -> None:
    if not user_scopes(request.user).roles & selectors.REVIEWER_ROLES:
        raise PermissionDenied


# The columns reviews.rows shows, nothing else, as named tuples (no model instance per row,
# organisation, place and clause): the JSON facts and evaluation of 25 rows were a third of
# the page's row-loading time, the four model instances a row most of the rest.
QUEUE_HTML_ROWS = (
    selectors.with_open_flags(Application.objects.all())
    .annotate(
        organisation_name=F("organisation__legal_name"),
        organisation_uscc=F("organisation__uscc"),
        place_name=F("place__name"),  # the application's place, which scopes the queues
        clause_title=F("clause__title"),
    )
    .values_list(*QUEUE_ROW_FIELDS, named=True)
)


def queue(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request)
    queue_filter, counts = selectors.review_queue(user=request.user, params=request.GET)
    page = selectors.queue_page(
        user=request.user,
        queue=queue_filter,
        status_counts=counts,
        number=request.GET.get("page"),
        per_page=PAGE_SIZE,
        rows=QUEUE_HTML_ROWS,
    )
    query = request.GET.copy()
    query.pop("page", None)
    bulk_actions = [
        (a, Action(a).label) for role, a in BULK_BY_ROLE if user_scopes(request.user).has(role)
    ]
    context = {
        "filter": queue_filter,
        "filter_fields": _filter_fields(queue_filter),
        "page": page,
        "rows": queue_rows(page.object_list, bulk=bool(bulk_actions), today=timezone.localdate()),
        "counts": [(Status(s).label, s, counts.get(s, 0)) for s in Status.values if counts.get(s)],
        "query": query.urlencode(),
        # The auditor (read-only) gets no bulk controls; each reviewer only their stage's.
        "bulk_actions": bulk_actions,
    }
    return render(request, "reviews/queue.html", context)


def _filter_fields(queue_filter) -> SafeString:
    """The filter form's labels and widgets (reviews/_queue_filter_fields.html), rendered once
    per catalogue version, language and set of submitted values (form_markup): eleven
    fields cost ~0.6 ms a page to render."""
    form = queue_filter.form
    return form_markup(
        form,
        "queue-fields",
        lambda: render_to_string("reviews/_queue_filter_fields.html", {"form": form}),
        version=catalogue_version(),
    )


BULK_BY_ROLE = (
    (Role.COUNTY_REVIEWER, Action.PASS),
    (Role.DEPARTMENT_REVIEWER, Action.RECOMMEND),
    (Role.APPROVER, Action.APPROVE),
)


def _case(request: HttpRequest, reference: str) -> Application:
    return get_object_or_404(
        selectors.review_cases_visible_to(user=request.user).select_related("rule_version"),
        reference=reference,
    )


def case(request: HttpRequest, reference: str) -> HttpResponse:
    _require_reviewer(request)
    application = _case(request, reference)
    return render(request, "reviews/case.html", _case_context(request, application))


def _case_context(
    request: HttpRequest, application: Application, *, typed_corrections=None, **extra
) -> dict:
    rule = application.rule_version.rule
    typed_corrections = typed_corrections or {}
    labels = {m.code: m.label for m in rule.materials}
    actions = [
        {"action": t.action, "label": Action(t.action).label, "needs_comment": t.needs_comment,
         "needs_amount": t.needs_amount}
        for t in selectors.case_actions(user=request.user, application=application)
    ]  # fmt: skip
    earlier = organisation_other_cases(user=request.user, application=application)[:EARLIER_SHOWN]
    return {
        "application": application,
        "rule": rule,
        "facts": fact_rows(rule, application.facts),
        "materials": [
            (code, labels.get(code, code), versions)
            for code, versions in current_materials(application).items()
        ],
        "flags": application.duplicate_flags.select_related("other", "resolved_by"),
        "earlier": earlier,
        "timeline": application_timeline(application),
        "headroom": headroom_for(application),
        "actions": actions,
        # (code, label, what the reviewer typed: kept when the page comes back with an error)
        "material_labels": [
            (m.code, m.label, typed_corrections.get(m.code, "")) for m in rule.materials
        ],
        "objections": Objection.objects.filter(entry__application=application).select_related(
            "resolved_by"
        ),
        "correction_due_default": correction_deadline(None),
        **extra,
    }


@require_POST
def act(request: HttpRequest, reference: str) -> HttpResponse:
    _require_reviewer(request)
    application = _case(request, reference)
    form = ActionForm(request.POST)
    if not form.is_valid():
        if set(form.errors) <= ACTION_FIELDS:
            return _case_with_errors(request, application, form.errors, request.POST)
        messages.error(request, _("提交的数据不完整，请刷新页面后重试。"))
        return redirect("reviews:case", reference)
    corrections = {
        m.code: request.POST.get(f"correction_{m.code}", "").strip()
        for m in application.rule_version.rule.materials
    }
    try:
        services.review_act(
            actor=request.user,
            application_id=application.pk,
            request=TransitionRequest(
                action=form.cleaned_data["action"],
                comment=form.cleaned_data["comment"],
                amount=form.cleaned_data["amount"] or None,
                amount_basis=form.cleaned_data["amount_basis"],
                expected_revision=form.cleaned_data["revision"],
                corrections={k: v for k, v in corrections.items() if v},
                correction_due_on=form.cleaned_data["correction_due_on"],
            ),
        )
    except DomainError as exc:
        # The case again, with this action open, what was typed kept and the refusal next to
        # its field (or at the top), instead of a redirect that would lose the reviewer's text.
        flash_error(request, exc)
        errors = {k: v for k, v in (exc.detail or {}).items() if k in ACTION_FIELDS}
        return _case_with_errors(
            request, _case(request, reference), errors, request.POST, status=exc.status_code
        )
    messages.success(
        request,
        _("已办理：%(action)s") % {"action": Action(form.cleaned_data["action"]).label},
    )
    return redirect("reviews:queue")


# The action form's fields a refusal can name (shown next to the field; others at the top).
ACTION_FIELDS = frozenset(
    name for name, field in ActionForm.base_fields.items() if not field.widget.is_hidden
)


def _case_with_errors(request, application, errors, data, *, status: int = 400) -> HttpResponse:
    """Show the case again with the action open, the posted values kept and each error next
    to its field."""
    context = _case_context(
        request,
        application,
        action_errors=dict(errors),
        open_action=data.get("action"),
        posted=data,
        typed_corrections={
            key.removeprefix("correction_"): value
            for key, value in data.items()
            if key.startswith("correction_") and key != "correction_due_on"
        },
    )
    return render(request, "reviews/case.html", context, status=status)


@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request)
    action = request.POST.get("action")
    if action not in BULK_ACTIONS:
        messages.error(request, _("请选择批量操作。"))
        return redirect("reviews:queue")
    references = request.POST.getlist("selected")
    if not references:
        messages.error(request, _("请至少勾选一条申报。"))
        return redirect("reviews:queue")
    results = services.review_bulk(
        actor=request.user,
        references=references,
        action=action,
        comment=request.POST.get("comment", ""),
    )
    return render(
        request, "reviews/bulk_result.html", {"results": results, "label": Action(action).label}
    )


@require_POST
def resolve_flag(request: HttpRequest, reference: str, flag_id: int) -> HttpResponse:
    _require_reviewer(request)
    application = _case(request, reference)
    try:
        services.flag_resolve(
            actor=request.user,
            flag_id=application.duplicate_flags.get(pk=flag_id).pk,
            resolution=request.POST.get("resolution", ""),
        )
        messages.success(request, _("疑点已核实，处理意见已记录。"))
    except DomainError as exc:
        flash_error(request, exc)
    except application.duplicate_flags.model.DoesNotExist:
        messages.error(request, _("找不到该疑点。"))
    return redirect("reviews:case", reference)


@require_POST
def resolve_objection(request: HttpRequest, reference: str, objection_id: int) -> HttpResponse:
    _require_reviewer(request)
    application = _case(request, reference)
    objection = get_object_or_404(Objection, pk=objection_id, entry__application=application)
    try:
        notices.objection_resolve(
            actor=request.user,
            objection_id=objection.pk,
            upheld=request.POST.get("upheld") == "1",
            resolution=request.POST.get("resolution", ""),
        )
    except DomainError as exc:
        flash_error(request, exc)
    return redirect("reviews:case", reference)


def notice_list(request: HttpRequest) -> HttpResponse:
    """Approver: the approved-in-principle cases waiting for a notice, and past notices."""
    if not user_scopes(request.user).has(Role.APPROVER):
        raise PermissionDenied
    pending = selectors.review_cases_visible_to(user=request.user).filter(
        status=Status.PENDING_NOTICE
    )
    form = NoticeStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ids = list(
            pending.filter(reference__in=request.POST.getlist("selected")).values_list(
                "pk", flat=True
            )
        )
        try:
            notice = notices.notice_start(
                actor=request.user,
                application_ids=ids,
                working_days=form.cleaned_data["working_days"],
                title=form.cleaned_data["title"],
            )
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("公示已发布，截止 %(day)s。") % {"day": notice.ends_on})
            return redirect("public_notice", notice.pk)
    page = Paginator(pending.order_by("stage_entered_at", "id"), NOTICE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    notices_page = Paginator(Notice.objects.all(), 50).get_page(request.GET.get("notices_page"))
    return render(
        request,
        "reviews/notice_list.html",
        {"pending": page, "form": form, "notices": notices_page},
    )


@login_not_required
def public_notices(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    active = Notice.objects.current_on(today)
    recent = Notice.objects.past_on(today)[:20]
    return render(
        request, "reviews/public_notices.html", {"active": active, "recent": recent, "today": today}
    )


@login_not_required
@ratelimit(key="ip", rate=rate("objection"), method="POST", block=True)
def public_notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=notice_id)
    today = timezone.localdate()
    is_open = notice.accepts_objections(today)
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and is_open and form.is_valid():
        entry = NoticeEntry.objects.filter(pk=form.cleaned_data["entry"], notice=notice).first()
        if entry is None:
            form.add_error(None, _("请选择公示名单中的条目。"))
        else:
            try:
                objection = notices.objection_lodge(
                    entry_id=entry.pk,
                    name=form.cleaned_data["name"],
                    contact=form.cleaned_data["contact"],
                    content=form.cleaned_data["content"],
                )
            except DomainError as exc:
                apply_error_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("异议已受理，回执号 %(no)s（请记录，可凭此查询处理进度）。")
                    % {"no": objection.receipt_no},
                )
                return redirect(
                    reverse("objection_lookup") + "?" + urlencode({"receipt": objection.receipt_no})
                )
    entries = notice.entries.all()
    return render(
        request, "reviews/public_notice.html",
        {"notice": notice, "entries": entries, "form": form, "is_open": is_open,
         "upcoming": notice.starts_on > today, "issuer": notice_issuer()},
    )  # fmt: skip


def notice_issuer() -> dict[str, str]:
    """Who publishes the notice and where objections go (settings NOTICE_*)."""
    return {
        "name": settings.NOTICE_ISSUER,
        "phone": settings.NOTICE_CONTACT_PHONE,
        "address": settings.NOTICE_CONTACT_ADDRESS,
    }


def audit_log(request: HttpRequest) -> HttpResponse:
    events = selectors.audit_events_visible_to(user=request.user)
    if not user_scopes(request.user).has(Role.AUDITOR):
        raise PermissionDenied
    audit_filter = selectors.AuditFilter(request.GET or None, queryset=events)
    refused = audit_filter.is_bound and not audit_filter.is_valid()
    # Listing (or exporting) every event under a refused filter read as the filtered result.
    rows = events.none() if refused else audit_filter.qs
    if request.GET.get("export") == "xlsx" and not refused:
        audit_security_event(
            actor=request.user,
            action="security.export",
            request=request,
            detail={"export": "audit_log", "filters": request.GET.urlencode()[:500]},
        )
        with replica_reads():
            return audit_events_xlsx(rows)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reviews/audit_log.html",
        {"filter": audit_filter, "page": page, "query": query.urlencode()},
    )


def material_preview(request: HttpRequest, reference: str, material_id: int) -> HttpResponse:
    _require_reviewer(request)
    application = _case(request, reference)
    material = get_object_or_404(
        ApplicationMaterial.objects.select_related("evidence"),
        pk=material_id,
        application=application,
    )
    return render(
        request, "reviews/preview.html", {"application": application, "material": material}
    )


@login_not_required
def verify_letter_form(request: HttpRequest) -> HttpResponse:
    """/verify/: someone holding only the paper letter types its code (no QR scanner)."""
    # Letters and digits only: what else was typed (spaces, hyphens, a "/" that no URL of a
    # code can hold) is not part of any code.
    code = "".join(c for c in request.GET.get("code", "") if c.isascii() and c.isalnum())[:24]
    if code:
        return redirect("verify_letter", code=code)
    return render(request, "reviews/verify.html", {"ask": True})


@login_not_required
@ratelimit(key="ip", rate=rate("verify"), block=False)
def verify_letter(request: HttpRequest, code: str) -> HttpResponse:
    """Public check of a letter: genuine or not, current or superseded; nothing private."""
    if request.limited:
        return render(request, "reviews/verify.html", {"throttled": True}, status=429)
    letter = selectors.letter_by_code(code)
    return render(
        request,
        "reviews/verify.html",
        {"letter": letter, "code": code[:24]},
        status=200 if letter else 404,
    )


@login_not_required
@ratelimit(key="ip", rate=rate("verify"), block=False)
def objection_lookup(request: HttpRequest) -> HttpResponse:
    """Anyone with a receipt number sees the objection's status (nothing private)."""
    receipt = request.GET.get("receipt", "")[:24]
    if receipt and request.limited:
        return render(request, "reviews/objection_lookup.html", {"throttled": True}, status=429)
    objection = selectors.objection_by_receipt(receipt_no=receipt) if receipt else None
    return render(
        request,
        "reviews/objection_lookup.html",
        {"receipt": receipt, "objection": objection, "searched": bool(receipt)},
        status=404 if receipt and objection is None else 200,
    )


def letter_download(request: HttpRequest, letter_id: int):
    letter = get_object_or_404(selectors.letters_visible_to(user=request.user), pk=letter_id)
    return private_file_response(
        letter.pdf,
        request=request,
        obj=letter,
        filename=f"{letter.number}.pdf",
        content_type="application/pdf",
    )


def letter_list(request: HttpRequest) -> HttpResponse:
    """Staff: letters in scope, with a ZIP of a selection built in the background."""
    _require_reviewer(request)
    letters = selectors.letters_visible_to(user=request.user).order_by("-year", "-sequence")
    if request.method == "POST":
        ids = [i for i in map(parse_id, request.POST.getlist("selected")) if i is not None]
        try:
            job = services.letters_zip_start(actor=request.user, letter_ids=ids)
        except DomainError as exc:
            flash_error(request, exc)
            return redirect("reviews:letters")
        return redirect("jobs:status", job.pk)
    page = Paginator(letters, 50).get_page(request.GET.get("page"))
    missing = selectors.approved_without_letter(user=request.user).order_by("pk")
    return render(
        request,
        "reviews/letters.html",
        {"page": page, "missing": missing[:50], "missing_count": missing.count()},
    )


@require_POST
def letters_regenerate(request: HttpRequest) -> HttpResponse:
    """Queue again the letters that failed (visible on the letters page)."""
    try:
        count = services.letters_regenerate(actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied from exc
    if count:
        messages.success(request, _("已重新排队生成 %(n)d 份通知书。") % {"n": count})
    return redirect("reviews:letters")

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from accounts.lockout import rate
from accounts.selectors import organisations_of_member, user_scopes
from audit.downloads import private_file_response
from audit.services import audit_security_event
from core.errors import Conflict, DomainError
from core.text import parse_id
from core.views import flash_error
from measures.forms import FACT_PREFIX, calculator_answers, facts_form
from measures.models import Clause
from measures.rules.describe import describe_reward, fact_rows
from measures.selectors import (
    clauses_of,
    current_policy,
    current_policy_or_404,
    open_round_by_clause,
    open_round_for_clause,
)
from measures.views import clause_summary

from . import selectors, services
from .forms import DeclarationForm, PledgeForm, ReasonForm
from .ledger import award_context_for, clause_evaluate_for
from .lifecycle.statuses import MEANING
from .lifecycle.transitions import Action, transition_for
from .models import Status
from .pages import pdf_page_png
from .receipt import receipt_context, receipt_pdf
from .services import PLEDGE_MATERIAL


def _own_application(request: HttpRequest, reference: str):
    """The applicant's own application (404 for anyone else's, through the selector)."""
    application = get_object_or_404(
        selectors.applications_visible_to(user=request.user), reference=reference
    )
    if application.organisation_id not in user_scopes(request.user).organisation_ids:
        raise Http404
    return application


def dashboard(request: HttpRequest) -> HttpResponse:
    if not user_scopes(request.user).is_enterprise:
        raise PermissionDenied
    applications = (
        selectors.applications_visible_to(user=request.user)
        .filter(organisation_id__in=user_scopes(request.user).organisation_ids)
        .order_by("-updated_at")
    )
    rows = [
        {
            "application": a,
            "next_step": MEANING[a.status].next_step,
            "editable": services.is_editable(a),
        }
        for a in applications
    ]
    return render(request, "applications/dashboard.html", {"rows": rows})


def start(request: HttpRequest, code: str) -> HttpResponse:
    policy = current_policy()
    clause = get_object_or_404(
        Clause.objects.select_related("measure", "current_version"), policy=policy, code=code
    )
    organisations = organisations_of_member(user=request.user)
    if not organisations:
        raise PermissionDenied
    if request.method == "POST":
        organisation = (
            organisations.filter(pk=request.POST.get("organisation") or 0).first()
            or organisations[0]
        )
        answers = calculator_answers(clause.rule, request.POST)
        try:
            application = services.application_start(
                actor=request.user, organisation=organisation, clause=clause
            )
            if answers:
                services.application_save_draft(
                    actor=request.user,
                    application_id=application.pk,
                    raw_facts={k.removeprefix(FACT_PREFIX): v for k, v in answers.items()},
                )
        except DomainError as exc:
            flash_error(request, exc)
        else:
            if answers:
                messages.info(request, _("已带入政策计算器中填写的信息，请核对。"))
            return redirect("applications:edit", application.reference)
    context = {
        "answers": list(calculator_answers(clause.rule, request.GET).items()),
        "clause": clause,
        "reward_text": describe_reward(clause.rule.reward, clause.rule),
        "round": open_round_for_clause(clause),
        "organisations": organisations,
    }
    return render(request, "applications/start.html", context)


def _corrections(application) -> list[tuple[str, str]]:
    """What the reviewer asked to correct, by material label (the code when it names none)."""
    labels = {m.code: m.label for m in application.rule_version.rule.materials}
    return [
        (labels.get(code, code), reason)
        for code, reason in (application.correction_requests or {}).items()
    ]


def _edit_context(request, application, facts, declaration, pledge, material_errors):
    rule = application.rule_version.rule
    materials = selectors.current_materials(application)
    checklist = [
        {
            "material": m,
            "versions": materials.get(m.code, []),
            "errors": material_errors.get(m.code, []),
            "is_pledge": m.code == PLEDGE_MATERIAL,
            "proven_by_list": m.code in application.exempt_materials,
        }
        for m in rule.materials
    ]
    return {
        "application": application,
        "rule": rule,
        "reward_text": describe_reward(rule.reward, rule),
        "facts_form": facts,
        "declaration": declaration,
        "pledge": pledge,
        "checklist": checklist,
        "reusable": selectors.reusable_evidence(organisation_id=application.organisation_id),
        "evaluation": application.evaluation or None,
        "pledge_again": application.status == Status.RETURNED
        and PLEDGE_MATERIAL in (application.correction_requests or {}),
        "corrections": _corrections(application) if application.status == Status.RETURNED else [],
        "today": timezone.localdate(),
    }


def _apply_files(request, application) -> dict[str, list[str]]:
    """Attach every file chosen in the form; a bad file is reported, the others are kept."""
    errors: dict[str, list[str]] = {}
    for material in application.rule_version.rule.materials:
        upload = request.FILES.get(f"file_{material.code}")
        reuse = request.POST.get(f"reuse_{material.code}")
        try:
            if upload is not None:
                services.application_attach_upload(
                    actor=request.user,
                    application_id=application.pk,
                    material_code=material.code,
                    upload=upload,
                )
            elif reuse:
                services.application_attach_existing(
                    actor=request.user,
                    application_id=application.pk,
                    material_code=material.code,
                    evidence_id=parse_id(reuse) or 0,
                )
        except DomainError as exc:
            errors.setdefault(material.code, []).append(exc.message)
    return errors


def edit(request: HttpRequest, reference: str) -> HttpResponse:
    application = _own_application(request, reference)
    if not services.is_editable(application):
        return redirect("applications:detail", reference)
    rule = application.rule_version.rule
    if request.method != "POST":
        facts = facts_form(rule, initial=application.facts, locked=application.exempt_facts)
        declaration = DeclarationForm(
            initial={
                "other_funding_declared": application.other_funding_declared,
                "other_funding_detail": application.other_funding_detail,
            }
        )
        pledge = PledgeForm(initial={"pledge_name": request.user.full_name})
        return render(
            request,
            "applications/edit.html",
            _edit_context(request, application, facts, declaration, pledge, {}),
        )

    facts = facts_form(
        rule, request.POST, initial=application.facts, locked=application.exempt_facts
    )
    facts.lenient = request.POST.get("action") != "submit"
    declaration = DeclarationForm(request.POST)
    pledge = PledgeForm(request.POST)
    facts.is_valid()
    declaration.is_valid()
    pledge.is_valid()
    raw = {spec.name: request.POST.get(FACT_PREFIX + spec.name, "") for spec in rule.facts}
    raw = {k: v for k, v in raw.items() if v != ""}
    # Save what was typed first, whatever happens next: nothing the user entered is lost.
    try:
        services.application_save_draft(
            actor=request.user,
            application_id=application.pk,
            raw_facts=raw,
            other_funding_declared=declaration.cleaned_data.get("other_funding_declared", False),
            other_funding_detail=declaration.cleaned_data.get("other_funding_detail", ""),
        )
        material_errors = _apply_files(request, application)
    except Conflict:
        # A second click (or another tab) arrived after the submit that won: show the result.
        messages.info(request, _("申报已提交，当前不能修改。"))
        return redirect("applications:detail", reference)
    except DomainError as exc:  # e.g. a posted change to a fact a 免申 list proves
        _place_problems(exc, facts, declaration, pledge, {})
        messages.error(request, exc.message)
        return render(
            request,
            "applications/edit.html",
            _edit_context(request, application, facts, declaration, pledge, {}),
        )
    application.refresh_from_db()
    action = request.POST.get("action", "save")
    if action == "submit" and not material_errors:
        try:
            if application.status == Status.RETURNED:
                services.application_resubmit(
                    actor=request.user,
                    application_id=application.pk,
                    pledge_accepted=pledge.cleaned_data.get("pledge_accepted", False),
                    pledge_name=pledge.cleaned_data.get("pledge_name", ""),
                )
            else:
                services.application_submit(
                    actor=request.user,
                    application_id=application.pk,
                    pledge_accepted=pledge.cleaned_data.get("pledge_accepted", False),
                    pledge_name=pledge.cleaned_data.get("pledge_name", ""),
                )
        except DomainError as exc:
            _place_problems(exc, facts, declaration, pledge, material_errors)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("申报已提交。可在详情页打印申报回执。"))
            return redirect("applications:detail", reference)
    elif not material_errors and action == "save" and facts.errors:
        # Saved as typed (nothing is lost), but "草稿已保存" alone hid the field's error.
        messages.warning(
            request, _("草稿已保存，但有填写内容有误（已在对应栏目标出），提交前请修改。")
        )
    elif not material_errors and action == "save":
        messages.success(request, _("草稿已保存。"))
        return redirect("applications:edit", reference)
    application.refresh_from_db()
    return render(
        request,
        "applications/edit.html",
        _edit_context(request, application, facts, declaration, pledge, material_errors),
        status=200,
    )


def _place_problems(exc: DomainError, facts, declaration, pledge, material_errors) -> None:
    """Show each problem of a refused submit next to its field."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    for key, messages_ in detail.items():
        messages_ = messages_ if isinstance(messages_, list) else [messages_]
        kind, _sep, name = key.partition(":")
        for message in messages_:
            if (
                kind == "fact"
                and FACT_PREFIX + name in facts.fields
                and not facts.has_error(FACT_PREFIX + name)
            ):
                facts.add_error(FACT_PREFIX + name, message)
            elif kind == "material":
                material_errors.setdefault(name, []).append(message)
            elif key == "pledge":
                pledge.add_error("pledge_accepted", message)
            elif key == "other_funding_detail":
                declaration.add_error("other_funding_detail", message)
            elif key not in ("duplicate",) and kind != "fact":
                facts.add_error(None, message)


@require_POST
def autosave(request: HttpRequest, reference: str) -> HttpResponse:
    """Called by the page when the user leaves a section: keep what was typed."""
    application = _own_application(request, reference)
    rule = application.rule_version.rule
    raw = {spec.name: request.POST.get(FACT_PREFIX + spec.name, "") for spec in rule.facts}
    try:
        services.application_save_draft(
            actor=request.user,
            application_id=application.pk,
            raw_facts={k: v for k, v in raw.items() if v != ""},
            other_funding_declared=request.POST.get("other_funding_declared") == "on",
            other_funding_detail=request.POST.get("other_funding_detail", "")[:1000],
        )
    except DomainError as exc:
        return HttpResponse(exc.message, status=409)
    return HttpResponse(status=204)


@require_POST
def preview(request: HttpRequest, reference: str) -> HttpResponse:
    """The amount and reasons for what is typed now (server-side engine), as a fragment."""
    application = _own_application(request, reference)
    rule = application.rule_version.rule
    form = facts_form(rule, request.POST)
    result = None
    if form.is_valid():
        try:
            _facts, result = clause_evaluate_for(
                version=application.clause.current_version,
                raw_facts=form.raw_facts(),
                organisation=application.organisation,
                exclude_application_id=application.pk,
            )
        except DomainError:
            result = None
    return render(request, "applications/preview.html", {"result": result, "form": form})


def detail(request: HttpRequest, reference: str) -> HttpResponse:
    application = _own_application(request, reference)
    rule = application.rule_version.rule
    labels = {m.code: m.label for m in rule.materials}
    context = {
        "application": application,
        "rule": rule,
        "timeline": selectors.application_timeline(application),
        "materials": [
            (labels.get(code, code), versions)
            for code, versions in selectors.current_materials(application).items()
        ],
        "corrections": _corrections(application),
        "today": timezone.localdate(),
        "next_step": MEANING[application.status].next_step,
        "can_withdraw": transition_for(application.status, Action.WITHDRAW) is not None,
        "can_edit": services.is_editable(application),
        "can_delete": application.status == Status.DRAFT,
        "withdraw_form": ReasonForm(),
        "facts": fact_rows(rule, application.facts),
        "letters": application.letters.order_by("-created_at"),
    }
    return render(request, "applications/detail.html", context)


def _submitted_application(request: HttpRequest, reference: str):
    application = _own_application(request, reference)
    if application.submitted_at is None:
        raise Http404(_("草稿尚未提交，没有申报回执。"))
    return application


def receipt(request: HttpRequest, reference: str) -> HttpResponse:
    """申报回执 (printable page): the applicant's own submitted application only."""
    application = _submitted_application(request, reference)
    return render(request, "applications/receipt.html", receipt_context(application))


def receipt_pdf_download(request: HttpRequest, reference: str) -> HttpResponse:
    application = _submitted_application(request, reference)
    response = HttpResponse(receipt_pdf(application), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{application.reference}.pdf"'
    return response


@require_POST
def withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    application = _own_application(request, reference)
    try:
        services.application_withdraw(
            actor=request.user, application_id=application.pk, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("申报已撤回。"))
    return redirect("applications:detail", reference)


@require_POST
def delete_draft(request: HttpRequest, reference: str) -> HttpResponse:
    application = _own_application(request, reference)
    try:
        services.application_delete_draft(actor=request.user, application_id=application.pk)
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("applications:detail", reference)
    messages.success(request, _("草稿已删除。"))
    return redirect("applications:dashboard")


@xframe_options_sameorigin
def evidence_page(request: HttpRequest, evidence_id: int, page: int) -> HttpResponse:
    """One page of a PDF as an image, for previews on any device (same selector as the file)."""
    evidence = get_object_or_404(
        selectors.evidence_visible_to(user=request.user),
        pk=evidence_id,
        content_type="application/pdf",
    )
    if not selectors.evidence_is_openable(evidence):  # the same scan gate as the download
        return _file_unavailable(request, evidence)
    try:
        png = pdf_page_png(evidence, page)
    except Exception as exc:  # a PDF pdfium cannot read: no preview, the download still works
        raise Http404(_("无法预览该文件，请下载查看。")) from exc
    if png is None:
        raise Http404(_("没有这一页。"))
    # A page shown is the file seen: recorded like a download, and not kept by the browser.
    audit_security_event(
        actor=request.user,
        action="security.download",
        request=request,
        target=evidence,
        detail={"file": evidence.original_name, "page": page, "preview": True},
    )
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def _file_unavailable(request: HttpRequest, evidence) -> HttpResponse:
    infected = evidence.scan_status == evidence.ScanStatus.INFECTED
    message = (
        _("该文件发现病毒，不能打开。请联系申报单位重新上传。")
        if infected
        else _("该文件正在进行病毒扫描，扫描通过后才能打开，请稍后再试。")
    )
    return render(request, "applications/file_unavailable.html", {"message": message}, status=409)


def evidence_file(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """The only way to a stored file: the visibility selector decides, 404 otherwise."""
    evidence = get_object_or_404(selectors.evidence_visible_to(user=request.user), pk=evidence_id)
    if not selectors.evidence_is_openable(evidence):
        return _file_unavailable(request, evidence)
    return private_file_response(
        evidence.file,
        request=request,
        obj=evidence,
        filename=evidence.original_name,
        content_type=evidence.content_type,
        inline=request.GET.get("inline") == "1",
    )


@ratelimit(key="ip", rate=rate("calculator"), block=True)
def calculator(request: HttpRequest) -> HttpResponse:
    """政策计算器: the clauses this organisation can apply for, and what its answers yield."""
    organisations = organisations_of_member(user=request.user)
    if not organisations:
        raise PermissionDenied(_("政策计算器供申报单位使用。"))
    organisation = organisations.filter(pk=request.GET.get("org") or 0).first() or organisations[0]
    policy = current_policy_or_404()
    context = award_context_for(organisation=organisation)
    selected_code = request.POST.get("clause") if request.method == "POST" else None
    rounds = open_round_by_clause()
    groups: dict[int, dict] = {}
    for clause in clauses_of(policy).order_by("measure__number", "sort_order"):
        rule = clause.rule
        if organisation.kind not in rule.applicant_types:
            continue
        entry = clause_summary(clause)
        entry["round"] = rounds.get(clause.pk)
        posted = clause.code == selected_code
        entry["form"] = facts_form(
            rule, request.POST if posted else None, auto_id=f"id_{clause.code}_%s"
        )
        if posted:  # the answers travel to the application form ("去申报")
            entry["prefill"] = calculator_answers(rule, request.POST).urlencode()
        if posted and entry["form"].is_valid():
            try:
                _facts, entry["result"] = clause_evaluate_for(
                    version=clause.current_version,
                    raw_facts=entry["form"].raw_facts(),
                    organisation=organisation,
                    context=context,
                )
            except DomainError as exc:
                entry["form"].add_error(None, exc.message)
        groups.setdefault(clause.measure.number, {"measure": clause.measure, "clauses": []})[
            "clauses"
        ].append(entry)
    return render(
        request,
        "applications/calculator.html",
        {
            "organisation": organisation,
            "organisations": organisations,
            "groups": list(groups.values()),
            "selected_code": selected_code,
        },
    )

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import user_scopes
from core.errors import DomainError
from core.views import apply_error_to_form, flash_error

from . import selectors, services
from .forms import RecognitionListForm, RevokeForm, ServiceAccountForm
from .models import RecognitionRow


def _require(request: HttpRequest, role: str) -> None:
    """The role that acts here; the auditor may also read (GET), and changes nothing."""
    if not selectors.may_use_page(user=request.user, role=role, write=request.method != "GET"):
        raise PermissionDenied


def service_accounts(request: HttpRequest) -> HttpResponse:
    """The security administrator's keys for integrating platforms (shown once when issued)."""
    _require(request, Role.SECURITY_ADMIN)
    form = ServiceAccountForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.service_account_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                valid_days=form.cleaned_data["valid_days"],
            )
        except DomainError as exc:
            apply_error_to_form(form, exc)
        else:
            form = ServiceAccountForm()
    return _service_accounts_page(request, form, issued)


def _service_accounts_page(request: HttpRequest, form, issued) -> HttpResponse:
    response = render(
        request,
        "integrations/service_accounts.html",
        {
            "form": form,
            "issued": issued,
            "accounts": selectors.service_accounts_visible_to(user=request.user),
            "revoke_form": RevokeForm(),
            "can_edit": user_scopes(request.user).has(Role.SECURITY_ADMIN),
        },
    )
    if issued is not None:
        # The key is shown this once: neither the browser's cache nor its Back button keeps it.
        add_never_cache_headers(response)
    return response


@require_POST
def service_account_rotate(request: HttpRequest, account_id: int) -> HttpResponse:
    _require(request, Role.SECURITY_ADMIN)
    account = get_object_or_404(
        selectors.service_accounts_visible_to(user=request.user), pk=account_id
    )
    try:
        issued = services.service_account_rotate(actor=request.user, account_id=account.pk)
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("integrations:service_accounts")
    return _service_accounts_page(request, ServiceAccountForm(), issued)


@require_POST
def service_account_revoke(request: HttpRequest, account_id: int) -> HttpResponse:
    _require(request, Role.SECURITY_ADMIN)
    account = get_object_or_404(
        selectors.service_accounts_visible_to(user=request.user), pk=account_id
    )
    try:
        services.service_account_revoke(
            actor=request.user, account_id=account.pk, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("已吊销：%(name)s") % {"name": account.name})
    return redirect("integrations:service_accounts")


def recognition_lists(request: HttpRequest) -> HttpResponse:
    """免申即享: the policy administrator imports an official list for a clause."""
    _require(request, Role.POLICY_ADMIN)
    clauses = selectors.monetary_clauses()
    form = RecognitionListForm(request.POST or None, request.FILES or None, clauses=clauses)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.recognition_list_import(
                actor=request.user,
                clause_code=form.cleaned_data["clause"],
                title=form.cleaned_data["title"],
                document_no=form.cleaned_data["document_no"],
                file_name=upload.name,
                data=upload.read(services.LIST_SPEC.max_bytes + 1),
            )
        except DomainError as exc:
            row_errors = (exc.detail or {}).get("rows", {}) if isinstance(exc.detail, dict) else {}
            if not row_errors:  # rows' problems are listed above the form, once
                apply_error_to_form(form, exc)
            return render(
                request,
                "integrations/recognition_lists.html",
                {"form": form, "row_errors": sorted(row_errors.items(), key=lambda i: int(i[0])),
                 "lists": selectors.recognition_lists_visible_to(user=request.user),
                 "can_edit": True},
            )  # fmt: skip
        messages.success(
            request,
            _(
                "已导入：生成免申申报 %(created)d 件，已有申报 %(existing)d 件，未注册 %(unmatched)d 家。"
            )
            % {
                "created": result.created,
                "existing": result.existing,
                "unmatched": len(result.unmatched),
            },
        )
        return redirect("integrations:recognition_list", result.recognition_list.pk)
    return render(
        request,
        "integrations/recognition_lists.html",
        {
            "form": form,
            "lists": selectors.recognition_lists_visible_to(user=request.user),
            "can_edit": user_scopes(request.user).has(Role.POLICY_ADMIN),
        },
    )


def recognition_list(request: HttpRequest, list_id: int) -> HttpResponse:
    recognition_list = get_object_or_404(
        selectors.recognition_lists_visible_to(user=request.user), pk=list_id
    )
    rows = RecognitionRow.objects.filter(recognition_list=recognition_list).select_related(
        "application"
    )
    return render(
        request,
        "integrations/recognition_list.html",
        {
            "recognition_list": recognition_list,
            "unmatched": rows.filter(outcome=RecognitionRow.Outcome.UNMATCHED),
            "rows": rows.exclude(outcome=RecognitionRow.Outcome.UNMATCHED)[:500],
        },
    )


def _credential_rows(organisation, clauses: dict) -> list[tuple]:
    """Each recognition with its clause and its level as the clause names it (国家级, not
    national); a clause no longer offered shows the stored texts."""
    from applications.models import Credential
    from applications.services import tier_label

    rows = []
    for credential in Credential.objects.filter(organisation=organisation):
        clause = clauses.get(credential.clause_code)
        level = tier_label(clause.rule, credential.level) if clause else credential.level
        rows.append((credential, clause, level))
    return rows


def profile(request: HttpRequest) -> HttpResponse:
    """一企一档 and 精准推送: the organisation's recognitions, and whether it wants pushes."""
    from accounts.selectors import organisations_of_member
    from applications import services as application_services

    from .forms import CredentialForm, PushPreferenceForm
    from .models import PushPreference

    organisation = organisations_of_member(user=request.user).first()
    if organisation is None:
        raise PermissionDenied
    # A county-level clause is no enterprise's recognition: only those it may apply for.
    clauses = selectors.monetary_clauses(for_kind=organisation.kind)
    by_code = {c.code: c for c in clauses}
    form = CredentialForm(prefix="c", clauses=clauses)
    preference = PushPreference.objects.filter(organisation=organisation).first()
    push_form = PushPreferenceForm(
        prefix="p", initial={"opted_out": bool(preference and preference.opted_out)}
    )
    if request.method == "POST" and "c-clause" in request.POST:
        form = CredentialForm(request.POST, prefix="c", clauses=clauses)
        if form.is_valid():
            try:
                application_services.credential_add(
                    actor=request.user,
                    organisation=organisation,
                    clause=by_code[form.cleaned_data["clause"]],
                    title=form.cleaned_data["title"],
                    level=form.cleaned_data["level"],
                    obtained_on=form.cleaned_data["obtained_on"],
                    number=form.cleaned_data["number"],
                )
            except DomainError as exc:
                apply_error_to_form(form, exc)
            else:
                messages.success(request, _("已加入资质档案。"))
                return redirect("integrations:profile")
    elif request.method == "POST" and "remove" in request.POST:
        try:
            application_services.credential_remove(
                actor=request.user, credential_id=int(request.POST["remove"])
            )
        except (DomainError, ValueError):
            messages.error(request, _("找不到该资质档案。"))
        else:
            messages.success(request, _("已从资质档案中删除。"))
        return redirect("integrations:profile")
    elif request.method == "POST":
        push_form = PushPreferenceForm(request.POST, prefix="p")
        if push_form.is_valid():
            services.push_preference_set(
                actor=request.user,
                organisation=organisation,
                opted_out=push_form.cleaned_data["opted_out"],
            )
            messages.success(request, _("推送设置已保存。"))
            return redirect("integrations:profile")
    return render(
        request,
        "integrations/profile.html",
        {
            "organisation": organisation,
            "credentials": _credential_rows(organisation, by_code),
            "form": form,
            "push_form": push_form,
        },
    )

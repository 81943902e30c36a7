from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from accounts.lockout import rate
from accounts.models import Organisation
from accounts.selectors import organisations_of_member, user_scopes
from xianyang_portal.errors import DomainError

from . import selectors
from .forms import ProcurementForm, calculator_answers, facts_form
from .models import Clause, Policy
from .rules.describe import describe_reward, max_amount
from .rules.procurement import procurement_reservation

PROCUREMENT_MEASURE = 23


def _policy_or_404():
    policy = selectors.current_policy()
    if policy is None:
        raise Http404(_("尚未导入政策目录。"))
    return policy


def clause_summary(clause: Clause) -> dict:
    rule = clause.rule
    return {
        "clause": clause,
        "rule": rule,
        "reward_text": describe_reward(rule.reward, rule),
        "max_amount": max_amount(rule.reward),
        "applicants": [str(Organisation.Kind(kind).label) for kind in rule.applicant_types],
    }


def _sections(policy) -> list[dict]:
    sections = []
    for measure in selectors.measures_of(policy):
        if not sections or sections[-1]["section"].pk != measure.section_id:
            sections.append({"section": measure.section, "measures": []})
        sections[-1]["measures"].append(
            {"measure": measure, "clauses": [clause_summary(c) for c in measure.clauses.all()]}
        )
    return sections


@login_not_required
def measure_list(request: HttpRequest) -> HttpResponse:
    # The page body is a template fragment cached per catalogue version and language; the
    # lazy values below are read (and every clause's rule parsed) only on a cache miss.
    policy = SimpleLazyObject(_policy_or_404)
    context = {
        "policy": policy,
        "sections": lambda: _sections(policy),
        "catalogue_version": selectors.catalogue_version(),
    }
    return render(request, "measures/list.html", context)


@login_not_required
def measure_detail(request: HttpRequest, number: int) -> HttpResponse:
    def measure_or_404():
        return get_object_or_404(selectors.measures_of(_policy_or_404()), number=number)

    measure = SimpleLazyObject(measure_or_404)
    context = {
        "number": number,
        "measure": measure,
        "clauses": lambda: [clause_summary(c) for c in measure.clauses.all()],
        "catalogue_version": selectors.catalogue_version(),
        "open_rounds": selectors.open_rounds()
        .filter(
            clauses__measure__number=number,
            clauses__policy=Subquery(Policy.objects.order_by("-issued_on").values("pk")[:1]),
        )
        .distinct(),
    }
    if number == PROCUREMENT_MEASURE:
        form = ProcurementForm(request.GET or None)
        context["procurement_form"] = form
        if request.GET and form.is_valid():
            context["procurement_advice"] = procurement_reservation(
                form.cleaned_data["kind"], form.cleaned_data["budget"]
            )
    return render(request, "measures/detail.html", context)


@ratelimit(key="ip", rate=rate("calculator"), block=True)
def calculator(request: HttpRequest) -> HttpResponse:
    """政策计算器: the clauses this organisation can apply for, and what its answers yield."""
    organisations = organisations_of_member(user=request.user)
    if not organisations:
        raise PermissionDenied(_("政策计算器供申报单位使用。"))
    organisation = organisations.filter(pk=request.GET.get("org") or 0).first() or organisations[0]
    policy = _policy_or_404()
    from applications.ledger import award_context_for, clause_evaluate_for

    context = award_context_for(organisation=organisation)
    selected_code = request.POST.get("clause") if request.method == "POST" else None
    rounds = selectors.open_round_by_clause()
    groups: dict[int, dict] = {}
    for clause in selectors.clauses_of(policy).order_by("measure__number", "sort_order"):
        rule = clause.rule
        if organisation.kind not in rule.applicant_types:
            continue
        entry = clause_summary(clause)
        entry["round"] = rounds.get(clause.pk)
        posted = clause.code == selected_code
        entry["form"] = facts_form(rule, request.POST if posted else None)
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
        "measures/calculator.html",
        {
            "organisation": organisation,
            "organisations": organisations,
            "groups": list(groups.values()),
            "selected_code": selected_code,
        },
    )


def budgets(request: HttpRequest) -> HttpResponse:
    if not user_scopes(request.user).roles & selectors.BUDGET_VIEWERS:
        raise PermissionDenied
    rows = selectors.budgets_visible_to(user=request.user)
    return render(request, "measures/budgets.html", {"budgets": rows})

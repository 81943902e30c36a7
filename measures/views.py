from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.functional import SimpleLazyObject

from accounts.models import Organisation
from accounts.selectors import user_scopes

from . import selectors
from .forms import ProcurementForm
from .models import Clause, Policy
from .rules.describe import describe_reward, max_amount
from .rules.procurement import procurement_reservation

PROCUREMENT_MEASURE = 23


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
    policy = SimpleLazyObject(selectors.current_policy_or_404)
    context = {
        "policy": policy,
        "sections": lambda: _sections(policy),
        "catalogue_version": selectors.catalogue_version(),
    }
    return render(request, "measures/list.html", context)


@login_not_required
def measure_detail(request: HttpRequest, number: int) -> HttpResponse:
    def measure_or_404():
        return get_object_or_404(
            selectors.measures_of(selectors.current_policy_or_404()), number=number
        )

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


def budgets(request: HttpRequest) -> HttpResponse:
    if not user_scopes(request.user).roles & selectors.BUDGET_VIEWERS:
        raise PermissionDenied
    rows = selectors.budgets_visible_to(user=request.user)
    return render(request, "measures/budgets.html", {"budgets": rows})

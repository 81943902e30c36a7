"""Who sees which applications and files; the earlier awards that rules depend on."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from accounts.models import Organisation, Role, User
from accounts.selectors import user_scopes
from measures.models import Clause
from measures.rules.types import PriorAward

from .lifecycle.statuses import AWARDED_STATUSES
from .models import Application, Decision, EvidenceFile, Status


def applications_visible_to(*, user: User) -> QuerySet[Application]:
    """The one visibility rule for applications: pages, files, exports and the API use it."""
    scopes = user_scopes(user)
    base = Application.objects.select_related(
        "organisation",
        "organisation__place",
        "clause",
        "clause__measure",
        "clause__department",
        "round",
    )
    if scopes.sees_everything:
        return base.all()
    # Scopes as id subqueries rather than joins: the planner walks the queue's index and
    # probes a hashed set of organisations or clauses (no join over every visible row).
    condition = Q(organisation_id__in=scopes.organisation_ids)
    if scopes.has(Role.COUNTY_REVIEWER):
        in_places = Organisation.objects.filter(place_id__in=scopes.place_ids).values("pk")
        condition |= Q(organisation_id__in=in_places) & ~Q(status=Status.DRAFT)
    if scopes.has(Role.DEPARTMENT_REVIEWER):
        of_departments = Clause.objects.filter(department_id__in=scopes.department_ids)
        condition |= Q(clause_id__in=of_departments.values("pk")) & ~Q(status=Status.DRAFT)
    return base.filter(condition)


def evidence_visible_to(*, user: User) -> QuerySet[EvidenceFile]:
    """Files of one's own organisations, and files attached to applications one may see."""
    scopes = user_scopes(user)
    visible_apps = applications_visible_to(user=user).values("pk")
    return EvidenceFile.objects.filter(
        Q(organisation_id__in=scopes.organisation_ids)
        | Q(attachments__application__in=visible_apps)
    ).distinct()


def prior_awards_for(
    *, organisation: Organisation, exclude_application_id: int | None = None
) -> tuple[PriorAward, ...]:
    """Earlier approved awards of the organisation, for caps and first-time/one-time rules."""
    rows = (
        Application.objects.filter(organisation=organisation, status__in=AWARDED_STATUSES)
        .exclude(pk=exclude_application_id)
        .values_list("clause__code", "award_group", "tier", "approved_amount", "basis")
    )
    return tuple(
        PriorAward(
            clause_code=code,
            group=group or None,
            tier=tier or None,
            amount=amount if amount is not None else Decimal("0.00"),
            basis=basis or None,
        )
        for code, group, tier, amount, basis in rows
    )


def application_timeline(application: Application) -> QuerySet[Decision]:
    """Every decision on the case, oldest first (typed decision rows)."""
    return application.decisions.select_related("actor").order_by("created_at", "id")


def current_materials(application: Application) -> dict[str, list]:
    """material code → its attachments, newest version first (old versions kept)."""
    result: dict[str, list] = {}
    for material in application.materials.select_related("evidence").order_by(
        "material_code", "-version"
    ):
        result.setdefault(material.material_code, []).append(material)
    return result


def reusable_evidence(*, organisation_id: int):
    return EvidenceFile.objects.filter(organisation_id=organisation_id).order_by("-uploaded_at")[
        :50
    ]

"""Who sees which applications and files; the earlier awards that rules depend on."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from accounts.selectors import user_scopes
from measures.models import Clause

from .models import Application, Decision, EvidenceFile, Status


def applications_visible_to(*, user: User) -> QuerySet[Application]:
    """The one visibility rule for applications: pages, files, exports and the API use it."""
    scopes = user_scopes(user)
    base = Application.objects.select_related(
        "organisation",
        "place",
        "clause",
        "clause__measure",
        "clause__department",
        "round",
    )
    # A draft belongs to its organisation alone: no staff role reads it before submission.
    # A county's scope is the application's own place (kept equal to its organisation's by
    # accounts.services), so the county queue walks app_place_waiting; departments as a
    # clause id subquery: the planner probes a hashed set (no join over every visible row).
    condition = Q(organisation_id__in=scopes.organisation_ids)
    if scopes.sees_everything:
        return base.filter(condition | ~Q(status=Status.DRAFT))
    if scopes.has(Role.COUNTY_REVIEWER):
        condition |= Q(place_id__in=scopes.place_ids) & ~Q(status=Status.DRAFT)
    if scopes.has(Role.DEPARTMENT_REVIEWER):
        of_departments = Clause.objects.filter(department_id__in=scopes.department_ids)
        condition |= Q(clause_id__in=of_departments.values("pk")) & ~Q(status=Status.DRAFT)
    return base.filter(condition)


def organisation_other_cases(*, user: User, application: Application) -> QuerySet[Application]:
    """The organisation's other submitted cases that this user may see (the case page list)."""
    return (
        applications_visible_to(user=user)
        .filter(organisation_id=application.organisation_id)
        .exclude(pk=application.pk)
        .exclude(status=Status.DRAFT)
        .order_by("-submitted_at")
    )


def evidence_visible_to(*, user: User) -> QuerySet[EvidenceFile]:
    """Files of one's own organisations, and files attached to applications one may see."""
    scopes = user_scopes(user)
    visible_apps = applications_visible_to(user=user).values("pk")
    return EvidenceFile.objects.filter(
        Q(organisation_id__in=scopes.organisation_ids)
        | Q(attachments__application__in=visible_apps)
    ).distinct()


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


def evidence_is_openable(evidence: EvidenceFile) -> bool:
    """With ClamAV configured a file opens only once it has been scanned clean; never if
    infected."""
    from .scanning import scanning_enabled

    if evidence.scan_status == EvidenceFile.ScanStatus.INFECTED:
        return False
    return evidence.scan_status == EvidenceFile.ScanStatus.CLEAN or not scanning_enabled()

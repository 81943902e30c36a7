"""Duplicate and double-support checks, run on submit and again before approval."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import LIVE_STATUSES, Application, DuplicateFlag


@dataclass(frozen=True)
class Finding:
    kind: str
    hard: bool
    message: str
    other: Application | None = None


def refuse_if_not_eligible(application: Application) -> None:
    """The rule engine's blocking conditions (validity, applicant type, thresholds, first-time
    and one-time rules, exhausted caps) refuse the application with the engine's own words."""
    blocking = application.evaluation.get("blocking") or []
    if blocking:
        raise DomainError(blocking[0], code="not_eligible", detail={"eligibility": blocking})


def refuse_hard_duplicates(findings: list[Finding]) -> None:
    hard = [f.message for f in findings if f.hard]
    if hard:
        raise DomainError(hard[0], code="duplicate", detail={"duplicate": hard})


def _soft_message(kind: str, application: Application, other: Application) -> str:
    """The reviewer's note on `application` about `other` (used in both directions)."""
    if kind == "same_basis_other_clause":
        return _("同一依据（%(basis)s）还用于申报 %(ref)s（%(clause)s），可能重复支持。") % {
            "basis": application.basis,
            "ref": other.reference,
            "clause": other.clause.title,
        }
    return _("本单位在同一批次还申报了同一条款（%(ref)s），请核实是否为不同项目。") % {
        "ref": other.reference
    }


def find_duplicates(application: Application) -> list[Finding]:
    """One query for every live case of the organisation that shares the basis, or the
    clause and round; sorted into findings here (newest first, the model's order)."""
    findings: list[Finding] = []
    related = Q(clause_id=application.clause_id, round_id=application.round_id)
    if application.basis:
        related |= Q(basis=application.basis)
    others = list(
        Application.objects.filter(
            related, organisation_id=application.organisation_id, status__in=LIVE_STATUSES
        )
        .exclude(pk=application.pk)
        .select_related("clause")
    )
    same_basis = [o for o in others if application.basis and o.basis == application.basis]
    same = next((o for o in same_basis if o.clause_id == application.clause_id), None)
    if same:
        findings.append(
            Finding(
                "same_basis",
                True,
                _("本单位已就同一条款、同一依据（%(basis)s）提交申报 %(ref)s，不能重复申报。")
                % {"basis": application.basis, "ref": same.reference},
                same,
            )
        )
    for other in same_basis:
        if other.clause_id != application.clause_id:
            kind = "same_basis_other_clause"
            findings.append(Finding(kind, False, _soft_message(kind, application, other), other))
    for other in others:
        if (
            other.clause_id == application.clause_id
            and other.round_id == application.round_id
            and other.basis != application.basis
        ):
            kind = "same_clause_same_round"
            findings.append(Finding(kind, False, _soft_message(kind, application, other), other))
    if application.other_funding_declared:
        findings.append(
            Finding(
                "other_municipal_funding",
                False,
                _("申报单位声明该项目已获其他市级财政资金支持：%(detail)s")
                % {"detail": application.other_funding_detail or _("（未说明）")},
            )
        )
    return findings


@transaction.atomic
def record_flags(application: Application, findings: list[Finding]) -> list[DuplicateFlag]:
    """Store the soft findings for the reviewer (idempotent per kind and other case).

    A finding about another application is flagged on both, so the earlier case is held too
    and its reviewer sees the link before approving it. The rows are written in one global
    order (case, kind, other case): two cases flagged about each other at the same moment
    insert the same pair of rows, and in opposite orders they deadlocked on the unique index.
    """
    rows: dict[tuple[int, str, int], tuple[Application, str, Application | None, str]] = {}
    for finding in findings:
        if finding.hard:
            continue
        other = finding.other
        rows[(application.pk, finding.kind, other.pk if other else 0)] = (
            application,
            finding.kind,
            other,
            finding.message,
        )
        if other is not None:
            rows[(other.pk, finding.kind, application.pk)] = (
                other,
                finding.kind,
                application,
                _soft_message(finding.kind, other, application),
            )
    flags = []
    for key in sorted(rows):
        flagged, kind, other, message = rows[key]
        flag, _created = DuplicateFlag.objects.get_or_create(
            application=flagged, kind=kind, other=other, defaults={"message": message[:300]}
        )
        if flagged is application:
            flags.append(flag)
    return flags


def flag_after_commit(application_id: int) -> None:
    """Look for soft duplicates again once this submit has committed.

    Two cases of one organisation submitted at the same moment cannot see each other inside
    their transactions (each is still a draft to the other), so neither flagged the other.
    Run after each commit, the later of the two always sees the earlier one, and flags both.
    """

    def run() -> None:
        application = Application.objects.select_related("clause").filter(
            pk=application_id, status__in=LIVE_STATUSES
        )
        for found in application:
            record_flags(found, find_duplicates(found))

    transaction.on_commit(run, robust=True)  # a failure here is logged; the submit stands

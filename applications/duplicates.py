"""Duplicate and double-support checks, run on submit and again before approval."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from .models import LIVE_STATUSES, Application, DuplicateFlag


@dataclass(frozen=True)
class Finding:
    kind: str
    hard: bool
    message: str
    other: Application | None = None


def find_duplicates(application: Application) -> list[Finding]:
    findings: list[Finding] = []
    live_others = Application.objects.filter(
        organisation_id=application.organisation_id, status__in=LIVE_STATUSES
    ).exclude(pk=application.pk)
    if application.basis:
        same = live_others.filter(clause_id=application.clause_id, basis=application.basis).first()
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
        for other in live_others.filter(basis=application.basis).exclude(
            clause_id=application.clause_id
        ):
            findings.append(
                Finding(
                    "same_basis_other_clause",
                    False,
                    _("同一依据（%(basis)s）还用于申报 %(ref)s（%(clause)s），可能重复支持。")
                    % {
                        "basis": application.basis,
                        "ref": other.reference,
                        "clause": other.clause.title,
                    },
                    other,
                )
            )
    for other in live_others.filter(
        clause_id=application.clause_id, round_id=application.round_id
    ).exclude(basis=application.basis):
        findings.append(
            Finding(
                "same_clause_same_round",
                False,
                _("本单位在同一批次还申报了同一条款（%(ref)s），请核实是否为不同项目。")
                % {"ref": other.reference},
                other,
            )
        )
    if application.other_funding_declared:
        findings.append(
            Finding(
                "other_municipal_funding",
                False,
                _("申报单位声明该项目已获其他市级财政资金支持：%(detail)s")
                % {"detail": application.other_funding_detail or _("（未说明）")},
            )
        )
    blocking = application.evaluation.get("blocking") or []
    for message in blocking:
        findings.append(Finding("rule_blocking", True, message))
    return findings


@transaction.atomic
def record_flags(application: Application, findings: list[Finding]) -> list[DuplicateFlag]:
    """Store the soft findings for the reviewer (idempotent per kind and other case)."""
    flags = []
    for finding in findings:
        if finding.hard:
            continue
        flag, _created = DuplicateFlag.objects.get_or_create(
            application=application,
            kind=finding.kind,
            other=finding.other,
            defaults={"message": finding.message[:300]},
        )
        flags.append(flag)
    return flags

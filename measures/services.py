"""Writes over the policy catalogue, rule versions and budgets; the evaluation entry point."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Department, User
from audit.services import audit_record
from core.errors import Conflict, DomainError
from core.money import format_yuan

from .models import Clause, ClauseVersion, Measure, Policy, Round, RoundBudget, Section
from .rules.catalogue import Catalogue
from .rules.engine import clean_facts, evaluate
from .rules.types import ClauseRule, Evaluation, FactsError, PriorAward, RuleDefinitionError
from .selectors import catalogue_changed


@dataclass
class LoadReport:
    policy: Policy
    measures: int = 0
    clauses_created: int = 0
    versions_created: int = 0
    versions_updated_in_place: int = 0
    unchanged: int = 0


def _department(name: str) -> Department:
    try:
        return Department.objects.get(name=name)
    except Department.DoesNotExist as exc:
        raise DomainError(
            _("未知的部门：%(name)s") % {"name": name}, code="unknown_department"
        ) from exc


@transaction.atomic
def policy_load_catalogue(
    *, catalogue: Catalogue, source_text: str, actor: User | None = None
) -> LoadReport:
    """Create or update a policy from its catalogue; idempotent, never rewrites used versions."""
    meta = catalogue.policy
    policy, _created = Policy.objects.update_or_create(
        code=meta.code,
        defaults={
            "document_number": meta.document_number,
            "title": meta.title,
            "issuer": meta.issuer,
            "issued_on": meta.issued,
            "valid_from": meta.valid_from,
            "valid_to": meta.valid_to,
            "general_rules": list(meta.general_rules),
            "source_sha256": hashlib.sha256(source_text.encode()).hexdigest(),
        },
    )
    report = LoadReport(policy=policy)
    sections = {}
    for section_def in catalogue.sections:
        sections[section_def.number], _ = Section.objects.update_or_create(
            policy=policy, number=section_def.number, defaults={"title": section_def.title}
        )
    for measure_def in catalogue.measures:
        measure, _ = Measure.objects.update_or_create(
            policy=policy,
            number=measure_def.number,
            defaults={
                "section": sections[measure_def.section],
                "title": measure_def.title,
                "text": measure_def.text,
                "other_responsible": list(measure_def.other_responsible),
                "monetary": measure_def.monetary,
                "offer": measure_def.offer or "",
                "review_stages": list(measure_def.review_stages),
            },
        )
        measure.departments.set([_department(name) for name in measure_def.departments])
        report.measures += 1
        for order, rule in enumerate(measure_def.clauses):
            _load_clause(policy, measure, rule, order, actor, report)
    return report


def _load_clause(
    policy: Policy, measure: Measure, rule: ClauseRule, order: int, actor, report: LoadReport
) -> None:
    clause, created = Clause.objects.get_or_create(
        policy=policy,
        code=rule.code,
        defaults={
            "measure": measure,
            "title": rule.title,
            "department": _department(rule.department),
            "sort_order": order,
        },
    )
    if created:
        report.clauses_created += 1
    else:
        Clause.objects.filter(pk=clause.pk).update(
            measure=measure,
            title=rule.title,
            department=_department(rule.department),
            sort_order=order,
        )
        catalogue_changed()  # a queryset update sends no signal
    outcome = _store_rule(clause=clause, rule_data=rule.to_dict(), actor=actor, note="目录文件导入")
    if outcome == "created":
        report.versions_created += 1
    elif outcome == "updated":
        report.versions_updated_in_place += 1
    else:
        report.unchanged += 1


def _store_rule(*, clause: Clause, rule_data: dict[str, Any], actor, note: str) -> str:
    current = clause.current_version
    if current is not None and current.rule_data == rule_data:
        return "unchanged"
    if current is not None and not current.is_used():
        current.rule_data = rule_data
        current.change_note = note
        current.save(update_fields=["rule_data", "change_note"])
        outcome = "updated"
    else:
        number = (current.number + 1) if current else 1
        current = ClauseVersion.objects.create(
            clause=clause, number=number, rule_data=rule_data, created_by=actor, change_note=note
        )
        clause.current_version = current
        clause.save(update_fields=["current_version"])
        outcome = "created"
    audit_record(
        actor=actor,
        obj=clause,
        action="clause.rule_change",
        after={"version": current.number, "mode": outcome},
        comment=note,
    )
    return outcome


@transaction.atomic
def clause_rule_update(
    *, actor: User, clause: Clause, rule_data: Mapping[str, Any], note: str = ""
) -> ClauseVersion:
    """Admin edit of a clause rule: a new version when the current one is already used."""
    try:
        rule = ClauseRule.from_dict(rule_data)
    except RuleDefinitionError as exc:
        raise DomainError(
            _("规则无效：%(errors)s") % {"errors": "；".join(exc.errors)},
            code="invalid_rule",
            detail={"rule": exc.errors},
        ) from exc
    if rule.code != clause.code:
        raise DomainError(_("不能修改条款代码。"), code="code_changed")
    locked = (
        Clause.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=clause.pk)
    )
    locked.title = rule.title
    locked.department = _department(rule.department)
    locked.save(update_fields=["title", "department"])
    _store_rule(clause=locked, rule_data=rule.to_dict(), actor=actor, note=note or "后台修改")
    locked.refresh_from_db(fields=["current_version"])
    return locked.current_version


ROUND_FIELDS = ("policy", "name", "opens_at", "closes_at", "notice_working_days")


@transaction.atomic
def round_save(*, actor: User, round_: Round) -> Round:
    """Create or edit a round (admin): dates, and the public notice length in working days.

    0 working days is the demo setting: the notice closes at the next periodic run.
    """
    errors: dict[str, list[str]] = {}
    if round_.opens_at and round_.closes_at and round_.closes_at <= round_.opens_at:
        errors["closes_at"] = [_("截止时间必须晚于开始时间。")]
    if not 0 <= (round_.notice_working_days or 0) <= 30:
        errors["notice_working_days"] = [_("公示期应为0至30个工作日（0仅用于演示）。")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], code="invalid_round", detail=errors)
    before = None
    if round_.pk:
        old = Round.objects.select_for_update().get(pk=round_.pk)
        before = {f: str(getattr(old, f)) for f in ROUND_FIELDS}
    round_.save()
    audit_record(
        actor=actor,
        obj=round_,
        action="round.save",
        before=before,
        after={f: str(getattr(round_, f)) for f in ROUND_FIELDS},
    )
    return round_


@transaction.atomic
def round_clauses_set(*, actor: User, round_: Round, clauses: Sequence[Clause]) -> None:
    """The clauses a round opens (admin), audited with what was added and removed."""
    before = set(round_.clauses.values_list("code", flat=True))
    after = {clause.code for clause in clauses}
    if before == after:
        return
    round_.clauses.set(clauses)
    audit_record(
        actor=actor,
        obj=round_,
        action="round.clauses",
        before={"clauses": sorted(before)},
        after={"added": sorted(after - before), "removed": sorted(before - after)},
    )


def round_budget_problem(*, budget: RoundBudget, committed: Decimal | None = None) -> str:
    """Why this budget amount cannot be stored ("" when it can): never below what approvals
    already committed against it, never negative."""
    committed = budget.committed if committed is None else committed
    if budget.amount is None or budget.amount < 0:
        return _("预算不能为负数。")
    if budget.amount < committed:
        return _("预算不能低于已核定金额 %(used)s。") % {"used": format_yuan(committed)}
    return ""


@transaction.atomic
def round_budget_save(*, actor: User, budget: RoundBudget) -> RoundBudget:
    """Create a round's budget for a measure, or change its amount (admin).

    Only the amount is written: `committed` belongs to the approvals (budget_commit), so
    the row is locked and its committed amount read now, not taken from a form loaded
    earlier.
    """
    before = None
    if budget.pk:
        current = RoundBudget.objects.select_for_update().get(pk=budget.pk)
        before = {"amount": str(current.amount)}
        committed = current.committed
    else:
        committed = Decimal("0.00")
    problem = round_budget_problem(budget=budget, committed=committed)
    if problem:
        raise DomainError(problem, code="invalid_budget", detail={"amount": [problem]})
    if budget.pk:
        RoundBudget.objects.filter(pk=budget.pk).update(amount=budget.amount)
        budget.committed = committed
    else:
        budget.committed = committed
        budget.save()
    audit_record(
        actor=actor,
        obj=budget,
        action="round_budget.save",
        before=before,
        after={
            "round": budget.round_id,
            "measure": budget.measure_id,
            "amount": str(budget.amount),
        },
    )
    return budget


def round_budget_delete_problem(budget: RoundBudget) -> str:
    """Why this budget cannot be removed ("" when it can): approvals committed money to it."""
    if budget.committed > 0:
        return _("该预算已核定 %(used)s，不能删除。") % {"used": format_yuan(budget.committed)}
    return ""


@transaction.atomic
def round_budget_delete(*, actor: User, budget_id: int) -> None:
    """Remove a budget row (the measure then has no limit in the round); refused once
    approvals have committed money against it."""
    budget = RoundBudget.objects.select_for_update().get(pk=budget_id)
    problem = round_budget_delete_problem(budget)
    if problem:
        raise DomainError(problem, code="budget_in_use")
    audit_record(
        actor=actor,
        obj=budget,
        action="round_budget.delete",
        before={
            "round": budget.round_id,
            "measure": budget.measure_id,
            "amount": str(budget.amount),
        },
    )
    budget.delete()


def clause_evaluate(
    *,
    version: ClauseVersion,
    raw_facts: Mapping[str, Any],
    applicant_type: str,
    prior_awards: Sequence[PriorAward] = (),
    profile: Mapping[str, bool] | None = None,
) -> tuple[dict[str, Any], Evaluation]:
    """Clean the facts and run the engine; invalid facts raise DomainError with field details.

    Callers with an organisation get `prior_awards` and `profile` from
    `applications.ledger.award_context_for` (the one assembly).
    """
    rule = version.rule
    try:
        facts = clean_facts(rule, raw_facts)
    except FactsError as exc:
        raise DomainError(
            _("申报信息有误：%(first)s") % {"first": next(iter(exc.errors.values()))},
            code="invalid_facts",
            detail=exc.errors,
        ) from exc
    validity = (version.clause.policy.valid_from, version.clause.policy.valid_to)
    result = evaluate(
        rule,
        facts,
        applicant_type=applicant_type,
        prior_awards=prior_awards,
        validity=validity,
        profile=profile,
    )
    return facts, result


def budget_commit(*, round_id: int, measure_id: int, amount: Decimal) -> RoundBudget:
    """Commit an approved amount against the round's budget for the measure (row-locked).

    Call inside the caller's transaction so the commitment and the approval land together.
    A round without a budget row for the measure has no limit set and commits nothing.
    """
    budget = (
        RoundBudget.objects.select_for_update()
        .filter(round_id=round_id, measure_id=measure_id)
        .first()
    )
    if budget is None:
        return None
    if budget.committed + amount > budget.amount:
        raise Conflict(
            _("预算不足：本批次该措施预算%(total)s，已核定%(used)s，剩余%(left)s，本次需%(need)s。")
            % {
                "total": format_yuan(budget.amount),
                "used": format_yuan(budget.committed),
                "left": format_yuan(budget.remaining),
                "need": format_yuan(amount),
            },
            code="budget_exceeded",
            detail={"remaining": str(budget.remaining)},
        )
    budget.committed += amount
    budget.save(update_fields=["committed"])
    return budget


def budget_release(*, round_id: int, measure_id: int, amount: Decimal) -> None:
    budget = (
        RoundBudget.objects.select_for_update()
        .filter(round_id=round_id, measure_id=measure_id)
        .first()
    )
    if budget is None:
        return
    budget.committed = max(Decimal("0.00"), budget.committed - amount)
    budget.save(update_fields=["committed"])

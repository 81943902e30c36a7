"""The award ledger: what every live application holds against its organisation's limits.

From submission until it is rejected, withdrawn or upheld against, an application holds an
`AwardReservation` (amount, award group, tier, assessment period) and one `AwardItem` per item
with identity (product, certificate, project). The rule engine counts cumulative caps, 每户,
首次/一次性, periods and items over these rows, so a second application sees only what the
first left.

Entry points (keyword-only; the lifecycle engine calls them as named effects):
- `ledger_reserve(application=)`: submit and resubmit, inside the transaction;
- `ledger_adjust(application=, amount=)`: recommend, approve, amend;
- `ledger_release(application=)`: reject, withdraw, objection upheld;
- `award_context_for(organisation=, exclude_application_id=)`: the one assembly of prior
  awards, reservations and profile facts for the calculator, the form, submit, the approval
  re-check and the API (`clause_evaluate_for` runs the engine with it).

Every write locks the organisation's `AwardGroupLock` rows for the award group and the clause
(SELECT … FOR UPDATE, in key order) before reading the ledger, so concurrent decisions on one
organisation's limits run one after the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.errors import DomainError
from core.money import format_yuan
from measures.models import ClauseVersion
from measures.rules.items import item_key, item_names
from measures.rules.types import Evaluation, PriorAward
from measures.services import clause_evaluate

from .lifecycle.statuses import LIMIT_STATUSES, status_label
from .models import Application, AwardGroupLock, AwardItem, AwardReservation

ZERO = Decimal("0.00")
RESERVED_KINDS = ("fixed", "ceiling")  # an unspecified amount reserves nothing until decided

# The Application fields an evaluation sets (kept with the rule version it used).
EVALUATION_FIELDS = [
    "rule_version",
    "evaluation",
    "computed_amount",
    "amount_kind",
    "tier",
    "award_group",
    "basis",
]


@dataclass(frozen=True)
class AwardContext:
    """What the engine needs to know about an organisation beyond the typed facts."""

    prior_awards: tuple[PriorAward, ...]
    profile: dict[str, bool]


def _status_label(status: str) -> str:
    with translation.override("zh-hans"):  # engine reasons are legal Chinese text
        return status_label(status)


def award_context_for(
    *, organisation: Organisation, exclude_application_id: int | None = None
) -> AwardContext:
    """The organisation's unreleased reservations (awards and cases under way) and profile."""
    return award_contexts_for(
        organisations=[organisation], exclude_application_id=exclude_application_id
    )[organisation.pk]


def award_contexts_for(
    *, organisations: list[Organisation], exclude_application_id: int | None = None
) -> dict[int, AwardContext]:
    """`award_context_for` for many organisations at once (two queries): imports, the push."""
    ids = [o.pk for o in organisations]
    rows = (
        AwardReservation.objects.filter(
            organisation_id__any=ids,  # one array parameter (thousands of ids in an import)
            released_at__isnull=True,
            application__status__in=LIMIT_STATUSES,  # what each status means, as data
        )
        .exclude(application_id=exclude_application_id)
        .values_list(
            "organisation_id",
            "application_id",
            "clause_code",
            "award_group",
            "tier",
            "amount",
            "period_key",
            "application__reference",
            "application__status",
            "application__basis",
        )
        .order_by("created_at", "pk")
    )
    items: dict[int, list[str]] = {}
    for application_id, key in (
        AwardItem.objects.filter(organisation_id__any=ids, released_at__isnull=True)
        .exclude(application_id=exclude_application_id)
        .values_list("application_id", "item_key")
        .order_by("pk")
    ):
        items.setdefault(application_id, []).append(key)
    prior: dict[int, list[PriorAward]] = {}
    for org_id, application_id, code, group, tier, amount, period, reference, status, basis in rows:
        prior.setdefault(org_id, []).append(
            PriorAward(
                clause_code=code,
                group=group or None,
                tier=tier or None,
                amount=amount,
                basis=basis or None,
                reference=reference,
                status=_status_label(status),
                period=period or None,
                items=tuple(items.get(application_id, ())),
            )
        )
    return {
        o.pk: AwardContext(prior_awards=tuple(prior.get(o.pk, ())), profile=o.profile_facts())
        for o in organisations
    }


def clause_evaluate_for(
    *,
    version: ClauseVersion,
    raw_facts: Mapping[str, Any],
    organisation: Organisation,
    exclude_application_id: int | None = None,
    context: AwardContext | None = None,
) -> tuple[dict[str, Any], Evaluation]:
    """Run the engine for an organisation against its ledger (DomainError on invalid facts)."""
    if context is None:
        context = award_context_for(
            organisation=organisation, exclude_application_id=exclude_application_id
        )
    return clause_evaluate(
        version=version,
        raw_facts=raw_facts,
        applicant_type=organisation.kind,
        prior_awards=context.prior_awards,
        profile=context.profile,
    )


def evaluation_fields(version: ClauseVersion, facts: dict, result: Evaluation) -> dict[str, Any]:
    """The EVALUATION_FIELDS values of an evaluation, with the rule version it used."""
    rule = version.rule
    return {
        "rule_version": version,
        "evaluation": result.to_dict(),
        "computed_amount": result.amount,
        "amount_kind": result.amount_kind,
        "tier": result.tier or "",
        "award_group": result.award_group or "",
        "basis": str(facts.get(rule.basis_fact, ""))[:500] if rule.basis_fact else "",
    }


def evaluation_apply(
    application: Application, version: ClauseVersion, facts: dict, result: Evaluation
) -> None:
    """Keep an evaluation on the application, with the rule version it used (not saved)."""
    for name, value in evaluation_fields(version, facts, result).items():
        setattr(application, name, value)


def application_evaluate(application: Application, *, version: ClauseVersion | None = None):
    """Evaluate the application's facts against the ledger without itself (not saved)."""
    version = version or application.rule_version
    if version.clause_id == application.clause_id and "clause" in application._state.fields_cache:
        version.clause = application.clause  # the same row, policy included: no second fetch
    facts, result = clause_evaluate_for(
        version=version,
        raw_facts=application.facts,
        organisation=application.organisation,
        exclude_application_id=application.pk,
    )
    evaluation_apply(application, version, facts, result)
    return facts, result


# --------------------------------------------------------------------------------------------
# Locks and rows


def _lock_keys(application: Application) -> set[tuple[int, str]]:
    code = application.clause.code
    organisation_id = application.organisation_id
    return {(organisation_id, application.award_group or code), (organisation_id, code)}


def lock_award_groups(*, applications) -> None:
    """Lock the organisation rows these applications' limits depend on, in one global order.

    The engine calls this once for a bulk selection right after locking the applications, so
    two decisions (single or bulk) never wait on each other's award groups in a cycle.
    """
    keys = sorted(set().union(*(_lock_keys(a) for a in applications)))
    if not keys:
        return
    for application in applications:
        application._award_locks_held = _lock_keys(application)  # held to the transaction end
    AwardGroupLock.objects.bulk_create(
        [AwardGroupLock(organisation_id=org, award_group=group) for org, group in keys],
        ignore_conflicts=True,
    )
    condition = Q()
    for org, group in keys:
        condition |= Q(organisation_id=org, award_group=group)
    list(
        AwardGroupLock.objects.select_for_update()
        .filter(condition)
        .order_by("organisation_id", "award_group")
        .values_list("pk", flat=True)
    )


def _lock(application: Application) -> None:
    """Lock the organisation's rows for this application's award group and clause, in order
    (unless the engine locked them already for this same instance, in this transaction)."""
    if _lock_keys(application) <= getattr(application, "_award_locks_held", set()):
        return
    lock_award_groups(applications=[application])


def _hold(application: Application, result: Evaluation, amount: Decimal, facts: dict) -> None:
    """Create or update the open reservation and the items it holds."""
    values = {
        "organisation_id": application.organisation_id,
        "clause_code": application.clause.code,
        "award_group": result.award_group or application.clause.code,
        "period_key": result.period or "",
        "tier": result.tier or "",
        "amount": amount,
    }
    updated = AwardReservation.objects.filter(
        application=application, released_at__isnull=True
    ).update(**values, updated_at=timezone.now())
    if not updated:
        AwardReservation.objects.create(application=application, **values)
    _sync_items(application, result.items, facts)


def _item_labels(application: Application, facts: dict) -> dict[str, str]:
    """item key → the name as typed, for the ledger rows."""
    rule = application.rule_version.rule
    name = rule.items_fact or rule.basis_fact
    if not name or facts.get(name) is None:
        return {}
    if rule.items_fact:
        return item_names(facts[name])
    return {item_key(facts[name]): str(facts[name])}


def _sync_items(application: Application, keys: tuple[str, ...], facts: dict) -> None:
    held = AwardItem.objects.filter(application=application, released_at__isnull=True)
    current = set(held.values_list("item_key", flat=True))
    wanted = set(keys)
    if current - wanted:
        held.filter(item_key__in=current - wanted).update(released_at=timezone.now())
    missing = [key for key in keys if key not in current]
    if not missing:
        return
    labels = _item_labels(application, facts)
    try:
        with transaction.atomic():
            AwardItem.objects.bulk_create(
                AwardItem(
                    organisation_id=application.organisation_id,
                    application=application,
                    scope=application.clause.code,
                    item_key=key[:500],
                    label=labels.get(key, key)[:500],
                )
                for key in missing
            )
    except IntegrityError as exc:  # held by another application (the lock makes this rare)
        message = _("所列事项已在本单位其他在办或已获奖励的申报中，不能重复申报。")
        raise DomainError(message, code="limit_exceeded", detail={"items": [message]}) from exc


# --------------------------------------------------------------------------------------------
# Entry points


@transaction.atomic
def ledger_reserve(*, application: Application) -> None:
    """Submit and resubmit: evaluate under the lock and hold what the result allows.

    The evaluation (computed ceiling, reasons) is stored on the application, so the ceiling
    shows only what is left. A blocking result (cap used up, 每户/首次 already held, period
    already claimed, every item already held) refuses the submission with the engine's words,
    which name the limit, the other applications and what is left.
    """
    _lock(application)
    facts, result = application_evaluate(application)
    application.save(update_fields=EVALUATION_FIELDS)
    if result.blocking:
        raise DomainError(
            result.blocking[0], code="not_eligible", detail={"eligibility": list(result.blocking)}
        )
    amount = result.amount if result.amount_kind in RESERVED_KINDS and result.amount else ZERO
    _hold(application, result, amount, facts)


@transaction.atomic
def ledger_adjust(*, application: Application, amount: Decimal) -> None:
    """Recommend, approve, amend: set the reservation to `amount` if the headroom allows.

    Raises DomainError(code="limit_exceeded") naming the limit, what the organisation's other
    applications use (by reference) and what is left.
    """
    _lock(application)
    context = award_context_for(
        organisation=application.organisation, exclude_application_id=application.pk
    )
    facts, result = clause_evaluate_for(
        version=application.rule_version,
        raw_facts=application.facts,
        organisation=application.organisation,
        context=context,
    )
    if result.cap is not None:
        others = [p for p in context.prior_awards if p.group == result.award_group]
        used = sum((p.amount for p in others), ZERO)
        left = max(result.cap - used, ZERO)
        if amount > left:
            message = _(
                "超出累计上限：“%(clause)s”每户累计不超过 %(cap)s，本单位其他申报已占用 "
                "%(used)s%(refs)s，剩余 %(left)s，本次金额 %(amount)s 超出剩余额度。"
            ) % {
                "clause": application.clause.title,
                "cap": format_yuan(result.cap),
                "used": format_yuan(used),
                "refs": f"（{'、'.join(p.named() for p in others)}）" if others else "",
                "left": format_yuan(left),
                "amount": format_yuan(amount),
            }
            raise DomainError(
                message,
                code="limit_exceeded",
                detail={"amount": [message], "remaining": str(left)},
            )
    if result.blocking:  # eligibility is the approval re-check's to report; keep the items
        AwardReservation.objects.filter(application=application, released_at__isnull=True).update(
            amount=amount, updated_at=timezone.now()
        )
        return
    _hold(application, result, amount, facts)


@transaction.atomic
def ledger_release(*, application: Application) -> None:
    """Reject, withdraw, objection upheld: the reservation and its items are free again."""
    now = timezone.now()
    AwardReservation.objects.filter(application=application, released_at__isnull=True).update(
        released_at=now, updated_at=now
    )
    AwardItem.objects.filter(application=application, released_at__isnull=True).update(
        released_at=now
    )


def headroom_for(application: Application) -> dict[str, Any] | None:
    """For the reviewer: the cap of the application's award group, what others use, what is left."""
    rule_result = (application.evaluation or {}).get("cap")
    if rule_result is None:
        return None
    cap = Decimal(rule_result)
    context = award_context_for(
        organisation=application.organisation, exclude_application_id=application.pk
    )
    others = [p for p in context.prior_awards if p.group == (application.award_group or None)]
    used = sum((p.amount for p in others), ZERO)
    return {
        "cap": cap,
        "used": used,
        "left": max(cap - used, ZERO),
        "others": [(p.reference, p.status, p.amount) for p in others],
    }


__all__ = [
    "EVALUATION_FIELDS",
    "AwardContext",
    "application_evaluate",
    "award_context_for",
    "clause_evaluate_for",
    "headroom_for",
    "ledger_adjust",
    "ledger_release",
    "ledger_reserve",
    "lock_award_groups",
]

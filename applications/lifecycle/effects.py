"""Handlers for the effects that transitions name.

Two phases:
- a *guard* runs per item inside a savepoint before anything is written; it may refuse the
  item with a DomainError (amount rules, budget, eligibility) and may change fields of the
  application, naming them in `ctx.update_fields`;
- an *after* handler runs once for all moved items of a call, inside the same transaction,
  after the status and decision rows are written (notifications, letters).

Effects that belong to higher apps (the notice, the letter) are registered by those apps in
their `AppConfig.ready()`, so this package never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.notifications import Message, notify_many
from accounts.selectors import member_ids_by_organisation
from core.errors import DomainError
from core.money import MoneyError, format_yuan, parse_money
from measures.services import budget_commit, budget_release

from ..ledger import application_evaluate, ledger_adjust, ledger_release, ledger_reserve
from ..links import reference_link
from ..models import Application
from .context import EffectContext
from .statuses import Status, status_label
from .transitions import Action, Effect

Guard = Callable[[EffectContext], None]
After = Callable[[list[EffectContext]], None]
_GUARDS: dict[str, Guard] = {}
_AFTER: dict[str, After] = {}
_OBSERVERS: list[After] = []


def guard(name: str) -> Callable[[Guard], Guard]:
    def register(handler: Guard) -> Guard:
        _GUARDS[name] = handler
        return handler

    return register


def after(name: str) -> Callable[[After], After]:
    def register(handler: After) -> After:
        _AFTER[name] = handler
        return handler

    return register


def observe_moves(handler: After) -> After:
    """Run `handler` after every move, whatever the transition (webhooks, summaries)."""
    _OBSERVERS.append(handler)
    return handler


def unregistered(names: set[str]) -> set[str]:
    return {n for n in names if n not in _GUARDS and n not in _AFTER}


def run_guards(ctx: EffectContext) -> None:
    names = [n for n in ctx.transition.effects if n in _GUARDS]
    missing = unregistered(set(ctx.transition.effects))
    if missing:
        raise ImproperlyConfigured(f"no handler registered for effects {sorted(missing)}")
    if not names:
        return
    with transaction.atomic():  # a refused item leaves nothing of its effects behind
        for name in names:
            _GUARDS[name](ctx)


def run_after(contexts: list[EffectContext]) -> None:
    by_effect: dict[str, list[EffectContext]] = {}
    for ctx in contexts:
        for name in ctx.transition.effects:
            if name in _AFTER:
                by_effect.setdefault(name, []).append(ctx)
    for name, items in by_effect.items():
        _AFTER[name](items)
    if contexts:
        for observer in _OBSERVERS:
            observer(contexts)


# --- amounts and budget ------------------------------------------------------------------


def parse_amount(raw: Any) -> Decimal:
    """A reviewer's amount as Decimal yuan (≥0, two decimals), or a DomainError saying why."""
    if raw in (None, ""):
        raise DomainError(
            _("请填写金额。"), code="amount_required", detail={"amount": [_("请填写金额。")]}
        )
    try:
        return parse_money(raw)
    except MoneyError as exc:
        raise DomainError(str(exc), code="invalid_amount", detail={"amount": [str(exc)]}) from exc


def validate_amount(application: Application, raw: Any, basis: str) -> Decimal:
    """The amount a reviewer sets: >0, two decimals, within the ceiling, equal to a fixed amount."""
    amount = parse_amount(raw)
    if not amount:
        # A reward of ¥0 would be published in the notice and sealed in a letter: a case that
        # deserves nothing is refused (不予支持) with its reason instead.
        message = _("核定金额须大于0；不予奖励的，请选择“不予支持”并写明理由。")
        raise DomainError(message, code="amount_zero", detail={"amount": [message]})
    computed = application.computed_amount
    kind = application.amount_kind
    if kind == "fixed" and computed is not None and amount != computed:
        message = _("本条款为定额奖励，金额须为 %(amount)s。") % {"amount": format_yuan(computed)}
        raise DomainError(message, code="amount_not_fixed", detail={"amount": [message]})
    if kind == "ceiling" and computed is not None and amount > computed:
        message = _("金额不能超过上限 %(amount)s。") % {"amount": format_yuan(computed)}
        raise DomainError(message, code="amount_above_ceiling", detail={"amount": [message]})
    if kind == "unspecified" and not (basis or application.amount_basis).strip():
        message = _("本条款金额未在政策中明确，须填写金额依据。")
        raise DomainError(message, code="basis_required", detail={"amount_basis": [message]})
    if kind == "unspecified" and computed is not None and amount > computed:
        # "一定比例…给予不超过N万元" with the ratio not yet set: the reviewer decides within N.
        message = _("金额不能超过本条款上限 %(amount)s。") % {"amount": format_yuan(computed)}
        raise DomainError(message, code="amount_above_ceiling", detail={"amount": [message]})
    return amount


def _requested_amount(ctx: EffectContext) -> Any:
    if not ctx.request.use_case_amount:
        return ctx.request.amount
    application = ctx.application
    if ctx.request.action == Action.RECOMMEND:
        return application.computed_amount
    return application.recommended_amount


def _set_amount(ctx: EffectContext, field: str) -> None:
    """Validate the reviewer's amount and store it, with its written basis if one was given."""
    amount = validate_amount(ctx.application, _requested_amount(ctx), ctx.request.amount_basis)
    if ctx.request.amount_basis.strip():
        ctx.application.amount_basis = ctx.request.amount_basis.strip()
        ctx.update_fields.add("amount_basis")
    setattr(ctx.application, field, amount)
    ctx.update_fields.add(field)


@guard(Effect.RECOMMEND_AMOUNT)
def _recommend_amount(ctx: EffectContext) -> None:
    _set_amount(ctx, "recommended_amount")


@guard(Effect.APPROVE_AMOUNT)
def _approve_amount(ctx: EffectContext) -> None:
    _set_amount(ctx, "approved_amount")


@guard(Effect.BUDGET_COMMIT)
def _budget_commit(ctx: EffectContext) -> None:
    application = ctx.application
    delta = (application.approved_amount or Decimal("0.00")) - (
        ctx.approved_before or Decimal("0.00")
    )
    target = {"round_id": application.round_id, "measure_id": application.clause.measure_id}
    if delta > 0:
        budget_commit(**target, amount=delta)
    elif delta < 0:
        budget_release(**target, amount=-delta)


@guard(Effect.BUDGET_RELEASE)
def _budget_release(ctx: EffectContext) -> None:
    application = ctx.application
    budget_release(
        round_id=application.round_id,
        measure_id=application.clause.measure_id,
        amount=application.approved_amount or Decimal("0.00"),
    )


# --- the award ledger ------------------------------------------------------------------------


@guard(Effect.AWARD_RESERVE)
def _award_reserve(ctx: EffectContext) -> None:
    ledger_reserve(application=ctx.application)


@guard(Effect.AWARD_ADJUST)
def _award_adjust(ctx: EffectContext) -> None:
    ledger_adjust(application=ctx.application, amount=parse_amount(_requested_amount(ctx)))


@guard(Effect.AWARD_RELEASE)
def _award_release(ctx: EffectContext) -> None:
    ledger_release(application=ctx.application)


# --- eligibility before approval -----------------------------------------------------------


def record_duplicate_flags(application_ids: list[int]) -> None:
    """Record possible-duplicate flags of cases at 审定, each in its own block."""
    from ..duplicates import find_duplicates, record_flags

    for application in Application.objects.select_related("clause").filter(
        pk__in=application_ids, status=Status.APPROVAL
    ):
        with transaction.atomic():
            record_flags(application, find_duplicates(application))


@guard(Effect.RECHECK_ELIGIBILITY)
def _recheck_eligibility(ctx: EffectContext) -> None:
    """Run the duplicate checks and the rule again against the ledger (others' holdings).

    Runs after AWARD_ADJUST, which holds the organisation's award-group locks.
    """
    from ..duplicates import find_duplicates, refuse_hard_duplicates, refuse_if_not_eligible

    application = ctx.application
    application_evaluate(application)
    ctx.update_fields |= {"evaluation", "computed_amount", "amount_kind"}
    refuse_if_not_eligible(application)
    refuse_hard_duplicates(find_duplicates(application))
    open_flags = application.duplicate_flags.filter(resolved_at__isnull=True).count()
    if open_flags:
        raise DomainError(
            _("存在未处理的重复支持疑点（%(n)d 项），请先在案卷中逐项核实并填写处理意见。")
            % {"n": open_flags},
            code="unresolved_flags",
        )


# --- corrections ---------------------------------------------------------------------------


@guard(Effect.RECORD_CORRECTIONS)
def _record_corrections(ctx: EffectContext) -> None:
    requested = {k: v for k, v in ctx.request.corrections.items() if v.strip()}
    # A request for a material the clause does not have could never be met: the applicant's
    # upload for it is refused, so the case would come back unchanged.
    known = {m.code for m in ctx.application.rule_version.rule.materials}
    unknown = sorted(set(requested) - known)
    if unknown:
        message = _("补正要求中的材料代码不属于本条款：%(codes)s。") % {"codes": "、".join(unknown)}
        raise DomainError(message, code="unknown_material", detail={"corrections": [message]})
    ctx.application.returned_from = ctx.source
    ctx.application.correction_requests = requested
    ctx.update_fields |= {"returned_from", "correction_requests"}


@guard(Effect.CLEAR_CORRECTIONS)
def _clear_corrections(ctx: EffectContext) -> None:
    ctx.application.correction_requests = {}
    ctx.application.correction_due_on = None
    ctx.update_fields |= {"correction_requests", "correction_due_on"}


# --- telling the applicant -------------------------------------------------------------------


class StatusTexts:
    """A status message's texts, translated once for all the messages of one bulk move, and
    the members of the organisations it notifies (read in one query)."""

    def __init__(self, applications: Sequence[Application] = ()) -> None:
        self.subject = _("申报 %(ref)s 状态更新：%(status)s")
        self.body = _("您单位申报的“%(clause)s”已由“%(source)s”变为“%(target)s”。")
        self._labels: dict[str, str] = {}
        self._link = reference_link("applications:detail")
        self._members = member_ids_by_organisation({a.organisation_id for a in applications})

    def label(self, status: str) -> str:
        if status not in self._labels:
            self._labels[status] = status_label(status)
        return self._labels[status]

    def link(self, application: Application) -> str:
        return self._link(application.reference)

    def members(self, application: Application) -> list[int]:
        return self._members.get(application.organisation_id, [])


def status_message(
    application: Application, source: str, target: str, texts: StatusTexts | None = None
) -> Message:
    texts = texts or StatusTexts([application])
    if target == Status.RETURNED:
        return correction_message(application, texts)
    return Message(
        users=texts.members(application),
        subject=texts.subject % {"ref": application.reference, "status": texts.label(target)},
        body=texts.body
        % {
            "clause": application.clause.title,
            "source": texts.label(source),
            "target": texts.label(target),
        },
        link=texts.link(application),
    )


def correction_message(application: Application, texts: StatusTexts | None = None) -> Message:
    """退回补正: what to correct (material names, not codes) and by when."""
    texts = texts or StatusTexts([application])
    labels = {m.code: m.label for m in application.rule_version.rule.materials}
    items = [
        f"· {labels.get(code, code)}：{text}"
        for code, text in (application.correction_requests or {}).items()
    ]
    due = application.correction_due_on.isoformat() if application.correction_due_on else ""
    body = _("您单位申报的“%(clause)s”需要补正，请于 %(due)s 前修改并重新提交。") % {
        "clause": application.clause.title,
        "due": due,
    }
    return Message(
        users=texts.members(application),
        subject=_("申报 %(ref)s 退回补正，期限 %(due)s")
        % {"ref": application.reference, "due": due},
        body="\n".join([body, *items]),
        link=texts.link(application),
    )


@after(Effect.NOTIFY_APPLICANT)
def _notify_applicants(contexts: list[EffectContext]) -> None:
    texts = StatusTexts([c.application for c in contexts])
    notify_many(status_message(c.application, c.source, c.target, texts) for c in contexts)

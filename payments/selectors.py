"""Reads for payments: who sees batches, what is payable, totals and dashboard figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import user_scopes
from applications.lifecycle.statuses import AWARDED_STATUSES, PAYABLE_STATUSES
from applications.lifecycle.transitions import Action
from applications.models import Application, ApplicationSummary, Decision, Status
from applications.summaries_cache import READ, summaries_cached
from jobs.models import Job
from measures.models import RoundBudget
from measures.selectors import BUDGET_VIEWERS, budgets_visible_to, catalogue_version
from reviews.models import Letter

from .models import LISTED_LINE_STATES, LIVE_LINE_STATES, LineState, PaymentBatch, PaymentLine

PAYMENT_VIEWERS = frozenset({Role.FINANCE, Role.AUDITOR})
DASHBOARD_VIEWERS = frozenset({Role.FINANCE, Role.POLICY_ADMIN, Role.APPROVER, Role.AUDITOR})
# An application may go into a batch from these statuses (a failed payment is paid again).
ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


# --- visibility -------------------------------------------------------------------------


def batches_visible_to(*, user: User) -> QuerySet[PaymentBatch]:
    """The one visibility rule for batches: finance and the auditor (read-only) see them all."""
    if not user_scopes(user).roles & PAYMENT_VIEWERS:
        return PaymentBatch.objects.none()
    return PaymentBatch.objects.select_related("created_by", "locked_by", "job")


RESULTS_IMPORT_JOB = "payment_results_import"


def results_import_job(
    *, user: User, reference: str, job_id: int
) -> tuple[PaymentBatch, Job] | None:
    """A bank-result import running or run by a worker, seen by whoever sees its batch."""
    batch = batches_visible_to(user=user).filter(reference=reference).first()
    job = (
        Job.objects.filter(pk=job_id, kind=RESULTS_IMPORT_JOB, params__batch=batch.pk).first()
        if batch is not None
        else None
    )
    return None if job is None else (batch, job)


def can_see_payments(user: User) -> bool:
    return bool(user_scopes(user).roles & PAYMENT_VIEWERS)


def can_manage_payments(user: User) -> bool:
    """Only finance writes; the auditor reads everything and changes nothing."""
    return user_scopes(user).has(Role.FINANCE)


def can_see_dashboard(user: User) -> bool:
    return bool(user_scopes(user).roles & DASHBOARD_VIEWERS)


# --- what can be paid -----------------------------------------------------------------


@dataclass(frozen=True)
class BuildFilters:
    """The build form's choices; None means "any"."""

    round_id: int | None = None
    measure_id: int | None = None
    department_id: int | None = None
    place_id: int | None = None
    approved_before: date | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "round": self.round_id,
            "measure": self.measure_id,
            "department": self.department_id,
            "place": self.place_id,
            "approved_before": self.approved_before.isoformat() if self.approved_before else None,
        }
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildFilters:
        day = data.get("approved_before")
        return cls(
            round_id=data.get("round"),
            measure_id=data.get("measure"),
            department_id=data.get("department"),
            place_id=data.get("place"),
            approved_before=date.fromisoformat(day) if day else None,
        )


def payable_applications(filters: BuildFilters) -> QuerySet[Application]:
    """Approved (or failed-payment) applications with a current letter for the approved amount,
    not on a live payment line, narrowed by the build filters.

    "Approved before" reads the current letter's issue date: an application becomes 已批准
    when its letter is issued, and the letter is what finance pays against.
    """
    letters = Letter.objects.filter(
        application=OuterRef("pk"),
        state=Letter.State.CURRENT,
        amount=OuterRef("approved_amount"),
    )
    if filters.approved_before:
        letters = letters.filter(issued_on__lte=filters.approved_before)
    live_lines = PaymentLine.objects.filter(application=OuterRef("pk"), state__in=LIVE_LINE_STATES)
    rows = Application.objects.filter(
        Exists(letters), ~Exists(live_lines), status__in=PAYABLE_STATUSES, approved_amount__gt=0
    )
    if filters.round_id:
        rows = rows.filter(round_id=filters.round_id)
    if filters.measure_id:
        rows = rows.filter(clause__measure_id=filters.measure_id)
    if filters.department_id:
        rows = rows.filter(clause__department_id=filters.department_id)
    if filters.place_id:
        rows = rows.filter(place_id=filters.place_id)
    return rows


MISSING_BANK = Q(organisation__bank_account="") | Q(organisation__bank_name="")


def approval_time_expression():
    """When the award was decided: the approver's 审定 event, else the current letter's issue.

    A payee whose bank account changed after this moment is flagged for confirmation.
    (Applications approved outside the workflow, e.g. migrated, have no 审定 event.)
    """
    approve_decision = Decision.objects.filter(
        application=OuterRef("pk"), kind=Action.APPROVE
    ).order_by("-created_at")
    letter = Letter.objects.filter(application=OuterRef("pk"), state=Letter.State.CURRENT)
    return Coalesce(
        Subquery(approve_decision.values("created_at")[:1]),
        Subquery(letter.values("created_at")[:1]),
    )


SNAPSHOT_FIELDS = (
    "pk",
    "reference",
    "approved_amount",
    "organisation__legal_name",
    "organisation__payee_name",
    "organisation__uscc",
    "organisation__bank_name",
    "organisation__bank_account",
    "place__name",
    "clause__measure__number",
    "clause__measure__title",
    "clause__department__name",
    "round__name",
    "letter_number",
    "bank_changed",
)


def payee_snapshots(application_ids: list[int]) -> list[tuple[Any, ...]]:
    """Everything a payment line freezes, for these applications, as SNAPSHOT_FIELDS tuples in
    primary-key order, in one query. `bank_changed` is decided in SQL: the payee's account
    changed after the award was decided (`approval_time_expression`)."""
    letter_number = Letter.objects.filter(
        application=OuterRef("pk"), state=Letter.State.CURRENT
    ).values("number")[:1]
    changed = ExpressionWrapper(
        Q(organisation__bank_account_updated_at__gt=approval_time_expression()),
        output_field=BooleanField(),
    )
    return list(
        Application.objects.filter(pk__any=application_ids)
        .annotate(
            letter_number=Subquery(letter_number),
            bank_changed=Coalesce(changed, Value(False)),
        )
        .order_by("pk")
        .values_list(*SNAPSHOT_FIELDS)
    )


# --- a batch's lines and totals -----------------------------------------------------------


def batch_lines(
    batch: PaymentBatch, *, state: str | None = None, query: str = ""
) -> QuerySet[PaymentLine]:
    lines = batch.lines.select_related("bank_confirmed_by", "state_changed_by").order_by("number")
    if state in LineState.values:
        lines = lines.filter(state=state)
    if query.strip():
        text = query.strip()
        lines = lines.filter(
            Q(reference__icontains=text)
            | Q(payee_name__icontains=text)
            | Q(application_reference__icontains=text)
            | Q(uscc__icontains=text)
        )
    return lines


@dataclass(frozen=True)
class Group:
    label: str
    count: int
    amount: Decimal


@dataclass
class BatchTotals:
    count: int = 0
    amount: Decimal = ZERO
    by_measure: list[Group] = field(default_factory=list)
    by_department: list[Group] = field(default_factory=list)
    by_county: list[Group] = field(default_factory=list)
    by_state: list[Group] = field(default_factory=list)
    unconfirmed_bank_changes: int = 0

    @property
    def groupings(self) -> list[tuple[str, list[Group]]]:
        return [
            (str(gettext_lazy("按措施")), self.by_measure),
            (str(gettext_lazy("按责任部门")), self.by_department),
            (str(gettext_lazy("按县市区/园区")), self.by_county),
        ]


def _grouped(lines: QuerySet[PaymentLine], *keys: str) -> list[dict[str, Any]]:
    return list(
        lines.values(*keys).annotate(count=Count("pk"), amount=Sum("amount")).order_by(*keys)
    )


def batch_totals(batch: PaymentBatch) -> BatchTotals:
    """Totals of the listed (not removed) lines: grand total and per measure, department, county."""
    listed = PaymentLine.objects.filter(batch=batch, state__in=LISTED_LINE_STATES)
    grand = listed.aggregate(count=Count("pk"), amount=Sum("amount"))
    totals = BatchTotals(count=grand["count"] or 0, amount=grand["amount"] or ZERO)
    totals.by_measure = [
        Group(f"第{row['measure_number']}条 {row['measure_title']}", row["count"], row["amount"])
        for row in _grouped(listed, "measure_number", "measure_title")
    ]
    totals.by_department = [
        Group(row["department_name"], row["count"], row["amount"])
        for row in _grouped(listed, "department_name")
    ]
    totals.by_county = [
        Group(row["county_name"], row["count"], row["amount"])
        for row in _grouped(listed, "county_name")
    ]
    states = {
        row["state"]: row for row in _grouped(PaymentLine.objects.filter(batch=batch), "state")
    }
    totals.by_state = [
        Group(str(label), states[value]["count"], states[value]["amount"])
        for value, label in LineState.choices
        if value in states
    ]
    totals.unconfirmed_bank_changes = PaymentLine.objects.filter(
        batch=batch, state=LineState.PENDING, bank_changed=True, bank_confirmed_at__isnull=True
    ).count()
    return totals


# --- dashboards -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    key: Any
    label: str
    applications: int
    awarded: int
    awarded_amount: Decimal
    paid_amount: Decimal


@dataclass(frozen=True)
class BudgetRow:
    round_name: str
    measure: str
    budget: Decimal
    committed: Decimal
    paid: Decimal

    @property
    def committed_percent(self) -> int:
        return int(100 * self.committed / self.budget) if self.budget else 0

    @property
    def paid_percent(self) -> int:
        return int(100 * self.paid / self.budget) if self.budget else 0


@dataclass
class Dashboard:
    by_measure: list[FigureRow]
    by_county: list[FigureRow]
    by_round: list[FigureRow]
    by_status: list[FigureRow]
    budgets: list[BudgetRow]
    total: FigureRow


AWARDED = Q(status__in=AWARDED_STATUSES)
# Paid lines are exactly the applications in 已拨付 (a paid line moves its application there and
# 已拨付 is final), and a line's amount is the approved amount: paid = approved amount of 已拨付.
PAID = Q(status=Status.PAID)


def _figures(
    cells: QuerySet[ApplicationSummary],
    key: str,
    label_fields: tuple[str, ...],
    label: Callable[[dict[str, Any]], str],
    order: str,
) -> list[FigureRow]:
    rows = (
        cells.values(key, *label_fields)
        .annotate(
            n=Coalesce(Sum("count"), 0),
            awarded=Coalesce(Sum("count", filter=AWARDED), 0),
            awarded_amount=Coalesce(
                Sum("approved_amount", filter=AWARDED), Value(ZERO), output_field=MONEY_FIELD
            ),
            paid_amount=Coalesce(
                Sum("approved_amount", filter=PAID), Value(ZERO), output_field=MONEY_FIELD
            ),
        )
        .filter(n__gt=0)
        .order_by(order, key)
    )
    return [
        FigureRow(
            key=row[key],
            label=label(row),
            applications=row["n"],
            awarded=row["awarded"],
            awarded_amount=row["awarded_amount"],
            paid_amount=row["paid_amount"],
        )
        for row in rows
    ]


def dashboard_cached(
    *,
    user: User,
    round_id: int | None,
    name: str,
    build: Callable[[], Any],
    version: int | object | None = READ,
):
    """`build()` cached per summaries version (applications.summaries_cache), catalogue version
    (measure and round names), language, round and what the user may see of it (dashboard,
    budgets). `version`: the summaries version the caller already read in this request (one
    read for several cached parts), else read there."""
    roles = user_scopes(user).roles
    sees = f"{int(bool(roles & DASHBOARD_VIEWERS))}{int(bool(roles & BUDGET_VIEWERS))}"
    key = f"payments:dashboard:{name}:{catalogue_version()}:{get_language()}:{round_id or 0}:{sees}"
    return summaries_cached(key, build, version=version)


def dashboard_figures(
    *, user: User, round_id: int | None = None, version: int | object | None = READ
) -> Dashboard:
    """The dashboard's figures (dashboard_cached around dashboard_figures_counted)."""
    return dashboard_cached(
        user=user,
        round_id=round_id,
        name="figures",
        build=lambda: dashboard_figures_counted(user=user, round_id=round_id),
        version=version,
    )


def dashboard_figures_counted(*, user: User, round_id: int | None = None) -> Dashboard:
    """Counts and amounts by measure, county, round and status; budget vs committed vs paid.

    Drafts are the applicant's own business and are not counted. "Awarded" means approved
    or later (in payment, paid, payment failed); its amount is the approved amount. Read from
    the pre-aggregated summaries (applications.summaries), a few hundred cells, never from
    every application; dashboard viewers see the whole city.
    """
    cells = ApplicationSummary.objects.all()
    budgets: QuerySet[RoundBudget] = budgets_visible_to(user=user)
    if not can_see_dashboard(user):
        cells = cells.none()
        budgets = budgets.none()
    if round_id:
        cells = cells.filter(round_id=round_id)
        budgets = budgets.filter(round_id=round_id)

    measure = "measure__number"
    by_measure = _figures(
        cells,
        measure,
        ("measure__title",),
        lambda row: f"第{row[measure]}条 {row['measure__title']}",
        measure,
    )
    by_county = _figures(
        cells,
        "place_id",
        ("place__name", "place__sort_order"),
        lambda row: row["place__name"],
        "place__sort_order",
    )
    by_round = _figures(
        cells,
        "round_id",
        ("round__name", "round__opens_at"),
        lambda row: row["round__name"],
        "round__opens_at",
    )
    status_rows = {row.key: row for row in _figures(cells, "status", (), lambda row: "", "status")}
    labels = dict(Status.choices)
    by_status = [
        FigureRow(
            value,
            str(labels[value]),
            row.applications,
            row.awarded,
            row.awarded_amount,
            row.paid_amount,
        )
        for value in Status.values
        if (row := status_rows.get(value))
    ]
    paid_by_round_measure = {
        (row["round_id"], row["measure_id"]): row["amount"]
        for row in cells.filter(PAID)
        .values("round_id", "measure_id")
        .annotate(amount=Sum("approved_amount"))
        .order_by()
    }
    budget_rows = [
        BudgetRow(
            round_name=b.round.name,
            measure=f"第{b.measure.number}条 {b.measure.title}",
            budget=b.amount,
            committed=b.committed,
            paid=paid_by_round_measure.get((b.round_id, b.measure_id), ZERO),
        )
        for b in budgets
    ]
    total = FigureRow(
        key=None,
        label=_("合计"),
        applications=sum(r.applications for r in by_status),
        awarded=sum(r.awarded for r in by_status),
        awarded_amount=sum((r.awarded_amount for r in by_status), ZERO),
        paid_amount=sum((r.paid_amount for r in by_status), ZERO),
    )
    return Dashboard(by_measure, by_county, by_round, by_status, budget_rows, total)

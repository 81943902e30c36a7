"""Review queues and case data; every list starts from applications_visible_to."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Place, Role, User
from accounts.selectors import user_scopes
from applications.models import Application, Status
from applications.selectors import applications_visible_to
from audit.models import AuditEvent
from measures.models import Clause, Measure, Round
from xianyang_portal.forms import PortalForm
from xianyang_portal.labels import event_choices

# What each role works on by default (the queue's default status filter).
ROLE_QUEUE = {
    Role.COUNTY_REVIEWER: [Status.COUNTY_REVIEW],
    Role.DEPARTMENT_REVIEWER: [Status.DEPARTMENT_REVIEW],
    Role.APPROVER: [Status.APPROVAL, Status.PENDING_NOTICE, Status.OBJECTION],
    Role.AUDITOR: [],
}
REVIEWER_ROLES = frozenset(ROLE_QUEUE)


def default_queue_statuses(user: User) -> list[str]:
    statuses: list[str] = []
    for role in user_scopes(user).roles:
        statuses += ROLE_QUEUE.get(role, [])
    return statuses


def review_cases_visible_to(*, user: User) -> QuerySet[Application]:
    """Cases staff may open (drafts are the applicant's own business)."""
    scopes = user_scopes(user)
    if not scopes.roles & REVIEWER_ROLES:
        return Application.objects.none()
    return (
        applications_visible_to(user=user)
        .exclude(status=Status.DRAFT)
        .annotate(
            open_flags=Count("duplicate_flags", filter=Q(duplicate_flags__resolved_at__isnull=True))
        )
    )


SORTS = {
    "waiting": "stage_entered_at",
    "-waiting": "-stage_entered_at",
    "amount": "computed_amount",
    "-amount": "-computed_amount",
    "organisation": "organisation__legal_name",
    "submitted": "submitted_at",
    "-submitted": "-submitted_at",
}


class QueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("单位名称或信用代码"))
    round = django_filters.ModelChoiceFilter(queryset=Round.objects.all(), label=_("批次"))
    measure = django_filters.ModelChoiceFilter(
        field_name="clause__measure",
        queryset=Measure.objects.filter(monetary=True),
        label=_("措施"),
    )
    clause = django_filters.ModelChoiceFilter(queryset=Clause.objects.all(), label=_("条款"))
    county = django_filters.ModelChoiceFilter(
        field_name="organisation__place", queryset=Place.objects.all(), label=_("县市区/园区")
    )
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("状态"))
    amount_min = django_filters.NumberFilter(
        field_name="computed_amount", lookup_expr="gte", label=_("金额不低于")
    )
    amount_max = django_filters.NumberFilter(
        field_name="computed_amount", lookup_expr="lte", label=_("金额不高于")
    )
    flagged = django_filters.BooleanFilter(method="filter_flagged", label=_("有重复疑点"))
    waiting_days = django_filters.NumberFilter(
        method="filter_waiting", label=_("等待天数不少于"), min_value=0
    )
    sort = django_filters.ChoiceFilter(
        method="sort_by",
        choices=[(k, k) for k in SORTS],
        label=_("排序"),
        empty_label=_("默认（等待最久在前）"),
    )

    class Meta:
        model = Application
        fields = ["q", "round", "measure", "clause", "county", "status"]
        form = PortalForm

    def search(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(
                Q(organisation__legal_name__icontains=value) | Q(organisation__uscc__iexact=value)
            )
            if value
            else queryset
        )

    def filter_flagged(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(open_flags__gt=0) if value else queryset.filter(open_flags=0)

    def filter_waiting(self, queryset, name, value):
        return queryset.filter(stage_entered_at__lte=timezone.now() - timedelta(days=int(value)))

    def sort_by(self, queryset, name, value):
        return queryset.order_by(SORTS.get(value, "stage_entered_at"), "id")


def review_queue(*, user: User, params) -> tuple[QueueFilter, dict[str, int]]:
    """The filtered queue and the counts per status of everything the user may see."""
    base = review_cases_visible_to(user=user)
    data = params.copy()
    if "status" not in data and not data.get("_all"):
        for status in default_queue_statuses(user):
            data.appendlist("status", status)
    queue = QueueFilter(data, queryset=base.order_by("stage_entered_at", "id"))
    counts = dict(base.order_by().values_list("status").annotate(n=Count("id")))
    return queue, counts


def audit_events_visible_to(*, user: User) -> QuerySet[AuditEvent]:
    # 三员分立: the audit trail is the auditor's; the administrators it records do not read it.
    if not user_scopes(user).has(Role.AUDITOR):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor").order_by("-occurred_at", "-id")


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(method="filter_actor", label=_("操作人"))
    action = django_filters.ChoiceFilter(
        field_name="action", choices=event_choices, label=_("动作"), empty_label=_("全部")
    )
    date_from = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("起始日期")
    )
    date_to = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("截止日期")
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "date_from", "date_to"]
        form = PortalForm

    def filter_actor(self, queryset, name, value):
        """A name as shown in the log (姓名), or the exact username."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(actor__full_name__icontains=value) | Q(actor__username__iexact=value)
        )


def letters_visible_to(*, user: User):
    """Letters follow their application's visibility (enterprise: own; staff: in scope)."""
    from .models import Letter

    return Letter.objects.filter(
        application__in=applications_visible_to(user=user).values("pk")
    ).select_related("application", "superseded_by")


def approved_without_letter(*, user: User) -> QuerySet[Application]:
    """Approved cases whose letter is missing (a failed or pending generation), for staff."""
    from applications.lifecycle.statuses import AWARDED_STATUSES

    return (
        review_cases_visible_to(user=user)
        .filter(status__in=AWARDED_STATUSES, approved_amount__isnull=False)
        .exclude(letters__state="current")
    )


def objection_by_receipt(*, receipt_no: str):
    """Public look-up by receipt number (the only key a member of the public holds): the
    status and dates only, never the objector's contact."""
    from .models import Objection

    receipt_no = receipt_no.strip().upper()
    if not receipt_no:
        return None
    return Objection.objects.filter(receipt_no=receipt_no).select_related("entry__notice").first()

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Organisation, Role, User
from accounts.selectors import user_scopes
from applications.models import Application, Status
from measures.selectors import clauses_of, current_policy
from outbox.models import OutboxMessage

from .models import RecognitionList, ServiceAccount


def monetary_clauses(*, for_kind: str | None = None) -> list:
    """The current policy's clauses that pay money: what a list, a credential or a profile
    entry may name; with `for_kind`, only those that kind of organisation may apply for."""
    policy = current_policy()
    if policy is None:
        return []
    return [
        c
        for c in clauses_of(policy)
        if c.measure.monetary and (for_kind is None or for_kind in c.rule.applicant_types)
    ]


def statuses_for_platform(*, uscc: str) -> QuerySet[Application] | None:
    """What a platform with the read-statuses scope sees of one organisation: no drafts."""
    organisation = Organisation.objects.filter(uscc=uscc).first()
    if organisation is None:
        return None
    return (
        Application.objects.filter(organisation=organisation)
        .exclude(status=Status.DRAFT)
        .select_related("clause")
        .order_by("-updated_at")
    )


def deliveries_of(*, account: ServiceAccount) -> QuerySet[OutboxMessage]:
    """The account's delivery log: its webhook rows in the shared outbox, newest first."""
    from .webhooks import KIND

    return OutboxMessage.objects.filter(kind=KIND, payload__account=account.pk).order_by("-id")


def may_use_page(*, user: User, role: str, write: bool) -> bool:
    """The integrations pages and their API: the role that acts there, and the auditor,
    who may read and changes nothing."""
    scopes = user_scopes(user)
    return scopes.has(role) or (not write and scopes.has(Role.AUDITOR))


def service_accounts_visible_to(*, user: User) -> QuerySet[ServiceAccount]:
    scopes = user_scopes(user)
    if scopes.has(Role.SECURITY_ADMIN) or scopes.has(Role.AUDITOR):
        return ServiceAccount.objects.select_related("created_by")
    return ServiceAccount.objects.none()


def recognition_lists_visible_to(*, user: User) -> QuerySet[RecognitionList]:
    scopes = user_scopes(user)
    if scopes.has(Role.POLICY_ADMIN) or scopes.has(Role.AUDITOR):
        return RecognitionList.objects.select_related("clause", "imported_by", "imported_via")
    return RecognitionList.objects.none()

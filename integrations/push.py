"""精准推送: when a round opens, tell each organisation what its profile likely qualifies for."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation
from accounts.notifications import Message, notify_many
from applications.ledger import AwardContext, clause_evaluate_for
from applications.models import Credential
from applications.services import facts_from_record
from core.errors import DomainError
from measures.models import Round
from measures.rules.types import format_amount_wan

from .models import PushPreference, PushRun


@dataclass(frozen=True)
class Match:
    clause_code: str
    clause_title: str
    amount: object  # Decimal | None: the estimated maximum


def _matches(organisation: Organisation, credentials, clauses, profile, memo) -> list[Match]:
    """The clauses the credentials likely qualify for (the engine is pure: `memo` keeps each
    distinct input's result, as many organisations hold the same kind of record)."""
    matches = []
    for credential in credentials:
        clause = clauses.get(credential.clause_code)
        if clause is None:
            continue
        rule = clause.current_version.rule
        if organisation.kind not in rule.applicant_types:
            continue
        raw = facts_from_record(
            rule,
            level=credential.level,
            obtained_on=credential.obtained_on,
            number=credential.number,
        )
        key = (clause.code, tuple(sorted(raw.items())), organisation.kind, tuple(profile.items()))
        if key not in memo:
            try:
                memo[key] = clause_evaluate_for(
                    version=clause.current_version,
                    raw_facts=raw,
                    organisation=organisation,
                    context=AwardContext(prior_awards=(), profile=profile),
                )[1]
            except DomainError:
                memo[key] = None  # the profile lacks a fact the clause needs: no claim
        result = memo[key]
        if result is not None and result.eligible:
            matches.append(Match(clause.code, clause.title, result.amount))
    return matches


def round_push(*, round_id: int) -> int:
    """Run the calculator over every profile for the round's clauses; one message each.

    Idempotent per round (a PushRun row): running it twice sends nothing twice.
    """
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=round_id)
        if PushRun.objects.filter(round=round_).exists():
            return 0
        clauses = {
            c.code: c for c in round_.clauses.select_related("current_version", "policy", "measure")
        }
        opted_out = set(
            PushPreference.objects.filter(opted_out=True).values_list("organisation_id", flat=True)
        )
        by_org: dict[int, list[Credential]] = defaultdict(list)
        for credential in Credential.objects.filter(clause_code__in=clauses).order_by("pk"):
            if credential.organisation_id not in opted_out:
                by_org[credential.organisation_id].append(credential)
        organisations = Organisation.objects.filter(pk__in=by_org).only(
            "pk", "kind", "is_industrial", "is_local_drug_manufacturer"
        )
        members: dict[int, list[int]] = defaultdict(list)
        for organisation_id, user_id in Membership.objects.filter(
            organisation_id__in=by_org
        ).values_list("organisation_id", "user_id"):
            members[organisation_id].append(user_id)
        messages = []
        memo: dict = {}
        texts: dict = {}
        for organisation in organisations:
            profile = organisation.profile_facts()
            matches = _matches(organisation, by_org[organisation.pk], clauses, profile, memo)
            if matches:
                key = tuple(matches)  # the same clauses and amounts: the same text
                if key not in texts:
                    texts[key] = _message(round_, matches)
                subject, body, link = texts[key]
                messages.append(Message(members[organisation.pk], subject, body, link))
        notify_many(messages)
        PushRun.objects.create(round=round_, organisations=len(messages))
        return len(messages)


def _message(round_: Round, matches: list[Match]) -> tuple[str, str, str]:
    """The subject, body and link of a push message listing the matches."""
    lines = [
        _("· %(title)s：最高%(amount)s")
        % {
            "title": m.clause_title,
            "amount": format_amount_wan(m.amount) if m.amount else _("按评审核定"),
        }
        for m in matches
    ]
    return (
        _("政策推送：“%(round)s”已开始受理，您单位可能符合%(n)d项奖励")
        % {"round": round_.name, "n": len(matches)},
        _(
            "根据您单位的资质档案测算，以下条款您可能符合条件（以审核结果为准）：\n%(lines)s\n可在“资质档案”页的“政策推送设置”中关闭此类消息。"
        )
        % {"lines": "\n".join(lines)},
        reverse("applications:start", args=[matches[0].clause_code]),
    )


def rounds_open_push() -> int:
    """Beat: push every round that has opened and not been pushed yet."""
    now = timezone.now()
    due = Round.objects.filter(opens_at__lte=now, closes_at__gt=now).exclude(
        pk__in=PushRun.objects.values("round_id")
    )
    return sum(round_push(round_id=r.pk) for r in due)

"""Review actions that are not status moves (status moves go through the lifecycle engine)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications.lifecycle.engine import (
    TransitionRequest,
    TransitionResult,
    application_transition,
    applications_transition_bulk,
)
from applications.lifecycle.transitions import Action
from applications.models import DuplicateFlag
from audit.services import audit_record
from core.errors import DomainError, NotAllowed

from .notices import notice_start
from .selectors import case_actions, letters_visible_to, review_cases_visible_to

BULK_ACTIONS = (Action.PASS, Action.RECOMMEND, Action.APPROVE)


def review_act(*, actor: User, application_id: int, request: TransitionRequest) -> None:
    """A reviewer's action on one case, from the page or the API."""
    if request.action == Action.START_NOTICE:
        # A case enters 公示 only with its notice and period (never a bare status move).
        notice_start(actor=actor, application_ids=[application_id])
        return
    application_transition(actor=actor, application_id=application_id, request=request)


def review_bulk(
    *, actor: User, references: list[str], action: str, comment: str = ""
) -> list[TransitionResult]:
    """One review action on many cases, each with its own proposed amount and own result."""
    if action not in BULK_ACTIONS:
        raise DomainError(_("该操作不能批量办理。"), code="invalid_bulk_action")
    ids = dict(
        review_cases_visible_to(user=actor)
        .filter(reference__in=references)
        .values_list("reference", "pk")
    )
    results = applications_transition_bulk(
        actor=actor,
        application_ids=list(ids.values()),
        request=TransitionRequest(action=action, comment=comment, use_case_amount=True),
    )
    by_reference = {r.reference: r for r in results}
    missing = _("找不到该申报或无权查看。")
    return [
        by_reference.get(reference) or TransitionResult(0, reference, False, missing)
        for reference in dict.fromkeys(references)
    ]


@transaction.atomic
def flag_resolve(*, actor: User, flag_id: int, resolution: str) -> None:
    flag = (
        DuplicateFlag.objects.select_for_update()
        .select_related("application", "application__organisation", "application__clause")
        .get(pk=flag_id)
    )
    # Whoever may act on the case at its current stage, as the page offers it: a reviewer
    # who merely sees the case (an earlier or later level) does not settle its flags.
    if not case_actions(user=actor, application=flag.application):
        raise NotAllowed(_("只有当前办理环节的审核人员可以核实该疑点。"), code="not_your_stage")
    if not resolution.strip():
        raise DomainError(
            _("请填写核实意见。"),
            code="comment_required",
            detail={"resolution": [_("请填写核实意见。")]},
        )
    if flag.resolved_at is None:
        flag.resolved_by = actor
        flag.resolution = resolution.strip()
        flag.resolved_at = timezone.now()
        flag.save(update_fields=["resolved_by", "resolution", "resolved_at"])
        audit_record(
            actor=actor,
            obj=flag.application,
            action="application.flag_resolved",
            after={"flag": flag.kind},
            comment=resolution.strip(),
        )


@transaction.atomic
def letters_zip_start(*, actor: User, letter_ids: list[int]):
    """A ZIP of the chosen letters, built by a background job. Ids that are not letters the
    actor may see are refused by id: a ZIP silently short of them read as complete."""
    from jobs.services import job_create

    from .letters.tasks import queue_letters_zip

    ids = sorted(set(letter_ids))
    if not ids:
        raise DomainError(
            _("请至少勾选一份通知书。"),
            code="nothing_selected",
            detail={"letters": [_("请至少勾选一份通知书。")]},
        )
    visible = set(letters_visible_to(user=actor).filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [i for i in ids if i not in visible]
    if unknown:
        shown = "、".join(str(i) for i in unknown[:20]) + ("等" if len(unknown) > 20 else "")
        message = _("以下通知书不存在或无权查看：%(ids)s。") % {"ids": shown}
        raise DomainError(message, code="unknown_letters", detail={"letters": [message]})
    job = job_create(
        kind="letters_zip", requested_by=actor, params={"letters": ids}, total=len(ids)
    )
    queue_letters_zip(job_id=job.pk, letter_ids=ids)
    return job


@transaction.atomic
def letters_regenerate(*, actor: User) -> int:
    """Queue again the approved cases whose letter is missing; the number queued."""
    from accounts.models import Role
    from accounts.selectors import user_scopes

    from .letters.tasks import queue_letters
    from .selectors import approved_without_letter

    if not user_scopes(actor).has(Role.APPROVER):
        raise NotAllowed(_("只有审批人员可以重新生成通知书。"))
    ids = list(approved_without_letter(user=actor).values_list("pk", flat=True))
    if ids:
        queue_letters(ids)
    return len(ids)

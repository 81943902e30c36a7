"""Demo applications at several stages, made through the real services (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Organisation, User
from applications import services
from applications.demo import DEMO_FACTS, demo_application
from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Application
from measures.models import Clause

from .notices import notice_start, notices_finish_due


def _submitted(user: User, clause_code: str, facts: dict) -> Application:
    return demo_application(user=user, clause=Clause.objects.get(code=clause_code), facts=facts)


def seed_applications() -> None:
    users = {u.username: u for u in User.objects.filter(username__in=[
        "qindu_corp", "weicheng_corp", "county_qindu", "county_weicheng", "dept_miit", "approver",
    ])}  # fmt: skip
    if Application.objects.exists():
        return
    # Approved with a letter: the whole path, notice included.
    approved = _submitted(users["qindu_corp"], "M02-SPECIALISED-SME", DEMO_FACTS)
    step = lambda actor, action, **kw: application_transition(  # noqa: E731
        actor=users[actor], application_id=approved.pk, request=TransitionRequest(action, **kw)
    )
    step("county_qindu", Action.PASS, comment="材料齐全")
    step("dept_miit", Action.RECOMMEND, amount="200000", comment="符合条件")
    step("approver", Action.APPROVE, amount="200000", comment="同意")
    notice_start(
        actor=users["approver"],
        application_ids=[approved.pk],
        today=timezone.localdate() - timedelta(days=14),
    )
    notices_finish_due()
    # Waiting at county review, and a draft.
    _submitted(
        users["weicheng_corp"],
        "M04-SMART-FACTORY",
        {
            "level": "advanced",
            "recognised_on": "2025-09-10",
            "certificate_no": "陕工信发〔2025〕66号",
        },
    )
    services.application_start(
        actor=users["qindu_corp"],
        organisation=Organisation.objects.get(memberships__user=users["qindu_corp"]),
        clause=Clause.objects.get(code="M14-GREEN-DESIGN-PRODUCT"),
    )

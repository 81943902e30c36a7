"""20 approvals at once for one organisation's shared cap, on real PostgreSQL connections.

Measure 14: 省级绿色设计产品 每种3万元, 每户企业累计不超过20万元. Twenty applications of one
product each are at approval. So that the approvals alone must hold the cap, none of them
holds anything before (their reservations are set to 0, the worst case: e.g. amounts not yet
decided at submit). With the award-group lock, exactly six are approved (6 × 3万 = 18万); the
seventh would need 3万 with 2万 left, so each of the other fourteen is refused saying 2万 left.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.models import Application, AwardReservation, DuplicateFlag, Status
from core.errors import DomainError

W = Decimal(10000)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_never_exceed_the_cap(application_factory, demo):
    apps = []
    for i in range(20):
        app = application_factory(
            clause_code="M14-GREEN-DESIGN-PRODUCT",
            facts={
                "level": "provincial",
                "product_count": "1",
                "product_names": f"绿色产品{i + 1}",
                "recognised_on": "2025-09-01",
            },
            submit=True,
        )
        AwardReservation.objects.filter(application=app).update(amount=Decimal("0.00"))
        apps.append(app)
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(
        status=Status.APPROVAL, recommended_amount=3 * W
    )
    DuplicateFlag.objects.update(resolution="不同产品", resolved_at=timezone.now())

    barrier = threading.Barrier(len(apps))
    refusals: list[DomainError] = []
    others: list[Exception] = []

    def approve(application_id: int) -> None:
        try:
            barrier.wait(timeout=60)
            application_transition(
                actor=demo["approver"],
                application_id=application_id,
                request=TransitionRequest("approve", amount="30000", comment="同意"),
            )
        except DomainError as exc:
            refusals.append(exc)
        except Exception as exc:  # collected for the assertion
            others.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a.pk,)) for a in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert others == []
    approved = Application.objects.filter(pk__in=[a.pk for a in apps], status=Status.PENDING_NOTICE)
    total = sum((a.approved_amount for a in approved), Decimal("0.00"))
    assert total <= 20 * W
    assert (approved.count(), total) == (6, 18 * W)
    assert len(refusals) == 14
    for refusal in refusals:
        assert refusal.code == "limit_exceeded"
        assert refusal.detail["remaining"] == "20000.00"
        assert "剩余 ¥20,000.00" in refusal.message
    held = AwardReservation.objects.filter(
        application__in=apps, released_at__isnull=True
    ).values_list("amount", flat=True)
    assert sum(held, Decimal("0.00")) == 18 * W

"""Factories for payments tests: awarded applications and their letters, written directly.

Reaching 已批准 through the services takes a whole review; the workflow has its own tests.
Here the state is set up directly and everything payments does goes through its services.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from applications.models import Application, Status
from reviews.models import Letter


class ApplicationFactory(DjangoModelFactory):
    class Meta:
        model = Application

    reference = factory.Sequence(lambda n: f"SBPAY{n:07d}")
    rule_version = factory.LazyAttribute(lambda o: o.clause.current_version)
    status = Status.APPROVED
    approved_amount = Decimal("100000.00")
    recommended_amount = factory.LazyAttribute(lambda o: o.approved_amount)
    computed_amount = factory.LazyAttribute(lambda o: o.approved_amount)
    amount_kind = "ceiling"
    stage_entered_at = factory.LazyFunction(timezone.now)
    submitted_at = factory.LazyFunction(timezone.now)


class LetterFactory(DjangoModelFactory):
    """A current letter row without rendering a PDF (the letter tests cover rendering)."""

    class Meta:
        model = Letter

    prefix = "咸工信奖"
    year = 2025
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda o: f"{o.prefix}〔{o.year}〕{o.sequence}号")
    verification_code = factory.Sequence(lambda n: f"TESTCODE{n:08d}")
    amount = factory.LazyAttribute(lambda o: o.application.approved_amount)
    issued_on = factory.LazyFunction(date.today)
    state = Letter.State.CURRENT
    organisation_name = factory.LazyAttribute(lambda o: o.application.organisation.legal_name)
    measure_title = factory.LazyAttribute(lambda o: o.application.clause.measure.title)
    clause_title = factory.LazyAttribute(lambda o: o.application.clause.title)
    pdf = "letters/test.pdf"

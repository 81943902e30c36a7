"""What a transition is asked to do, what it answers, and what its effects see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.errors import DomainError

from .transitions import Transition

if TYPE_CHECKING:
    from accounts.models import User

    from ..models import Application


@dataclass
class TransitionRequest:
    action: str
    comment: str = ""
    amount: Any = None
    amount_basis: str = ""
    expected_revision: int | None = None
    corrections: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    # Bulk review: each case takes its own proposed amount (recommended, else computed).
    use_case_amount: bool = False
    # 退回补正: the reviewer's deadline (None: the default, 10 working days).
    correction_due_on: date | None = None


@dataclass
class TransitionResult:
    application_id: int
    reference: str
    ok: bool
    message: str
    status: str = ""
    error: DomainError | None = None


@dataclass
class EffectContext:
    """What an effect handler sees of one item being moved."""

    application: Application
    actor: User | None
    request: TransitionRequest
    transition: Transition
    source: str
    target: str
    approved_before: Decimal | None
    amount_before: Decimal | None  # the decided amount (approved, else recommended) before
    update_fields: set[str] = field(default_factory=set)

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import user_scopes
from core.api import query_round_id
from core.apischema import paginate, paginated

from . import selectors
from .models import Clause, Measure, Round
from .rules.describe import describe_reward, max_amount


class ClauseSerializer(serializers.ModelSerializer):
    reward_kind = serializers.SerializerMethodField()
    reward_text = serializers.SerializerMethodField()
    max_amount = serializers.SerializerMethodField()
    applicant_types = serializers.SerializerMethodField()
    facts_schema = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    department = serializers.CharField(source="department.name")
    rule_version = serializers.IntegerField(source="current_version.number")
    reward = serializers.SerializerMethodField()

    class Meta:
        model = Clause
        fields = [
            "code",
            "title",
            "department",
            "reward_kind",
            "reward_text",
            "max_amount",
            "applicant_types",
            "facts_schema",
            "materials",
            "rule_version",
            "reward",
        ]

    def get_reward_kind(self, clause: Clause) -> str:
        return clause.rule.reward.kind

    def get_reward_text(self, clause: Clause) -> str:
        return describe_reward(clause.rule.reward, clause.rule)

    def get_max_amount(self, clause: Clause) -> str | None:
        amount = max_amount(clause.rule.reward)
        return None if amount is None else f"{amount:.2f}"

    def get_applicant_types(self, clause: Clause) -> list[str]:
        return list(clause.rule.applicant_types)

    def get_facts_schema(self, clause: Clause) -> list[dict]:
        return clause.current_version.rule_data["facts"]

    def get_materials(self, clause: Clause) -> list[dict]:
        return clause.current_version.rule_data["materials"]

    def get_reward(self, clause: Clause) -> dict:
        return clause.current_version.rule_data["reward"]


class MeasureSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.title")
    departments = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    clauses = ClauseSerializer(many=True, read_only=True)

    class Meta:
        model = Measure
        fields = [
            "number",
            "title",
            "section",
            "departments",
            "monetary",
            "offer",
            "text",
            "clauses",
        ]


class RoundSerializer(serializers.ModelSerializer):
    clauses = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = ["id", "name", "opens_at", "closes_at", "is_open", "clauses"]

    def get_is_open(self, round_: Round) -> bool:
        return round_.is_open()


@extend_schema(responses=MeasureSerializer(many=True))
@api_view(["GET"])
@permission_classes([AllowAny])
def measure_list(request: Request) -> Response:
    return Response(
        MeasureSerializer(selectors.measures_of(selectors.current_policy_or_404()), many=True).data
    )


@extend_schema(responses=MeasureSerializer)
@api_view(["GET"])
@permission_classes([AllowAny])
def measure_detail(request: Request, number: int) -> Response:
    measure = selectors.measures_of(selectors.current_policy_or_404()).filter(number=number).first()
    if measure is None:
        raise Http404
    return Response(MeasureSerializer(measure).data)


@extend_schema(responses=RoundSerializer(many=True))
@api_view(["GET"])
@permission_classes([AllowAny])
def round_list(request: Request) -> Response:
    rounds = Round.objects.filter(policy=selectors.current_policy_or_404()).prefetch_related(
        "clauses"
    )
    return Response(RoundSerializer(rounds, many=True).data)


class BudgetOutput(serializers.Serializer):
    round_id = serializers.IntegerField()
    round = serializers.CharField(source="round.name")
    measure = serializers.IntegerField(source="measure.number")
    measure_title = serializers.CharField(source="measure.title")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    committed = serializers.DecimalField(max_digits=14, decimal_places=2)
    remaining = serializers.SerializerMethodField(help_text="amount − committed")

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_remaining(self, budget) -> str:
        return f"{budget.amount - budget.committed:.2f}"


@extend_schema(
    parameters=[OpenApiParameter("round", int, description="one round's budgets")],
    responses=paginated(BudgetOutput),
)
@api_view(["GET"])
def budget_list(request: Request) -> Response:
    """Budgets per round and measure with the amount committed (the budgets page's roles)."""
    if not user_scopes(request.user).roles & selectors.BUDGET_VIEWERS:
        raise PermissionDenied
    return paginate(
        request,
        selectors.budgets_visible_to(user=request.user, round_id=query_round_id(request)),
        BudgetOutput,
    )

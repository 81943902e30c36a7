from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import organisations_of_member, user_scopes
from accounts.throttles import CalculatorThrottle
from xianyang_portal.apischema import paginate, paginated
from xianyang_portal.errors import DomainError

from . import selectors, services
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


def _policy():
    policy = selectors.current_policy()
    if policy is None:
        raise Http404
    return policy


@extend_schema(responses=MeasureSerializer(many=True))
@api_view(["GET"])
@permission_classes([AllowAny])
def measure_list(request: Request) -> Response:
    return Response(MeasureSerializer(selectors.measures_of(_policy()), many=True).data)


@extend_schema(responses=MeasureSerializer)
@api_view(["GET"])
@permission_classes([AllowAny])
def measure_detail(request: Request, number: int) -> Response:
    measure = selectors.measures_of(_policy()).filter(number=number).first()
    if measure is None:
        raise Http404
    return Response(MeasureSerializer(measure).data)


@extend_schema(responses=RoundSerializer(many=True))
@api_view(["GET"])
@permission_classes([AllowAny])
def round_list(request: Request) -> Response:
    rounds = Round.objects.filter(policy=_policy()).prefetch_related("clauses")
    return Response(RoundSerializer(rounds, many=True).data)


APPLICANT_TYPES = ["enterprise", "park", "county", "investment_promoter"]


class CalculatorRequest(serializers.Serializer):
    clause = serializers.CharField(max_length=60)
    facts = serializers.DictField(child=serializers.JSONField(), allow_empty=True)
    organisation = serializers.IntegerField(required=False)
    applicant_type = serializers.ChoiceField(choices=APPLICANT_TYPES, required=False)

    def validate(self, attrs):
        if "organisation" not in attrs and "applicant_type" not in attrs:
            raise serializers.ValidationError(
                {"applicant_type": _("请提供 organisation（本人所属单位）或 applicant_type。")}
            )
        return attrs


class EvaluationSerializer(serializers.Serializer):
    clause = serializers.CharField()
    rule_version = serializers.IntegerField()
    eligible = serializers.BooleanField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    amount_kind = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    blocking = serializers.ListField(child=serializers.CharField())
    ratio_pending = serializers.BooleanField(
        help_text="一定比例 clause whose ratio the policy administrator has not set yet"
    )
    cap = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="the cumulative cap of the award group (每户累计), if any",
    )


@extend_schema(request=CalculatorRequest, responses=EvaluationSerializer)
@api_view(["POST"])
@throttle_classes([CalculatorThrottle])
def calculator(request: Request) -> Response:
    """Evaluate a clause for facts, as an organisation of the caller or an applicant type."""
    payload = CalculatorRequest(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    clause = selectors.clauses_of(_policy()).filter(code=data["clause"]).first()
    if clause is None:
        raise DomainError(
            _("未知的条款代码：%(code)s") % {"code": data["clause"]},
            code="unknown_clause",
            detail={"clause": [_("未知的条款代码。")]},
        )
    if "organisation" in data:
        organisation = (
            organisations_of_member(user=request.user).filter(pk=data["organisation"]).first()
        )
        if organisation is None:
            raise DomainError(
                _("您不是该单位的成员。"),
                code="unknown_organisation",
                detail={"organisation": [_("您不是该单位的成员。")]},
            )
        from applications.ledger import clause_evaluate_for

        _facts, result = clause_evaluate_for(
            version=clause.current_version, raw_facts=data["facts"], organisation=organisation
        )
    else:  # an applicant type only: no ledger, and required profile attributes are named
        _facts, result = services.clause_evaluate(
            version=clause.current_version,
            raw_facts=data["facts"],
            applicant_type=data.get("applicant_type"),
        )
    return Response(
        EvaluationSerializer(
            {
                "clause": clause.code,
                "rule_version": clause.current_version.number,
                **result.to_dict(),
            }
        ).data
    )


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
    raw = request.query_params.get("round", "")
    if raw and not raw.isdigit():
        raise DomainError(
            _("round 须为批次编号（整数）。"), code="invalid", detail={"round": [raw[:20]]}
        )
    return paginate(
        request,
        selectors.budgets_visible_to(user=request.user, round_id=int(raw) if raw else None),
        BudgetOutput,
    )

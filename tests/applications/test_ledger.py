"""The award ledger holds the policy's limits across every live case.

Expected amounts are worked out by hand from the policy text (咸工信发〔2025〕70号):
- measure 14: 国家级绿色设计产品 每种5万元, 每户企业累计不超过30万元;
  省级 每种3万元, 累计不超过20万元;
- measure 7: 省级民营经济转型升级示范企业 每户奖励10万元;
- measure 10: 民口配套 不超过30万元 (once per assessment year, NOTES.md);
  融合重点产品 每个奖励5万元.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications import services
from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Application, AwardItem, AwardReservation, Status
from core.errors import DomainError

W = Decimal(10000)
GREEN = {"level": "national", "recognised_on": "2025-09-01"}


def _green(names: str) -> dict:
    return {**GREEN, "product_count": str(len(names.split("、"))), "product_names": names}


def _submit(application, user):
    return services.application_submit(
        actor=user, application_id=application.pk, pledge_accepted=True, pledge_name="张三"
    )


def _set(application, status, **fields):
    Application.objects.filter(pk=application.pk).update(status=status, **fields)
    application.refresh_from_db()
    return application


def _held(application) -> Decimal:
    return AwardReservation.objects.get(application=application, released_at__isnull=True).amount


LIVE_STATES = [
    Status.COUNTY_REVIEW,  # submitted
    Status.DEPARTMENT_REVIEW,
    Status.APPROVAL,
    Status.RETURNED,
    Status.PENDING_NOTICE,
    Status.PUBLIC_NOTICE,
    Status.OBJECTION,
    Status.APPROVED,
    Status.IN_PAYMENT,
    Status.PAID,
    Status.PAYMENT_FAILED,
]


@pytest.mark.parametrize("state", LIVE_STATES)
def test_second_application_gets_only_the_headroom_left(state, application_factory, demo):
    # First: 4 national products × 5万 = 20万 of the 30万 cap, reserved at submit.
    first = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT", facts=_green("甲、乙、丙、丁"), submit=True
    )
    assert _held(first) == 20 * W
    _set(first, state)
    # Second: 3 more products would be 15万; 30万 − 20万 leaves 10万.
    second = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT", facts=_green("戊、己、庚"), submit=True
    )
    assert second.status == Status.COUNTY_REVIEW
    assert second.computed_amount == 10 * W
    assert _held(second) == 10 * W
    cap_reason = next(r for r in second.evaluation["reasons"] if "累计上限30万元" in r)
    assert first.reference in cap_reason
    assert "已占用20万元" in cap_reason and "本次最多10万元" in cap_reason
    # A third finds the cap used up and is refused at submit, naming both and what is left.
    third = application_factory(clause_code="M14-GREEN-DESIGN-PRODUCT", facts=_green("辛"))
    with pytest.raises(DomainError) as info:
        _submit(third, demo["qindu_corp"])
    message = info.value.message
    assert info.value.code == "not_eligible"
    assert "累计上限30万元" in message and "已占用30万元" in message and "剩余0万元" in message
    assert first.reference in message and second.reference in message
    assert Application.objects.get(pk=third.pk).status == Status.DRAFT


def _reject(application, demo):
    application_transition(
        actor=demo["county_qindu"],
        application_id=application.pk,
        request=TransitionRequest(Action.REJECT, comment="不符合条件"),
    )


def _withdraw(application, demo):
    services.application_withdraw(
        actor=demo["qindu_corp"], application_id=application.pk, reason="重新申报"
    )


def _uphold(application, demo):
    _set(application, Status.OBJECTION, approved_amount=20 * W)
    application_transition(
        actor=demo["approver"],
        application_id=application.pk,
        request=TransitionRequest(Action.UPHOLD_OBJECTION, comment="异议属实"),
    )


@pytest.mark.parametrize(
    "leave", [_reject, _withdraw, _uphold], ids=["reject", "withdraw", "upheld"]
)
def test_headroom_restored_when_the_first_leaves(leave, application_factory, demo):
    first = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT", facts=_green("甲、乙、丙、丁"), submit=True
    )
    leave(first, demo)
    first.refresh_from_db()
    assert first.status in (Status.REJECTED, Status.WITHDRAWN)
    assert not AwardReservation.objects.filter(application=first, released_at__isnull=True)
    assert not AwardItem.objects.filter(application=first, released_at__isnull=True)
    # 3 × 5万 = 15万, nothing else held: the full amount; the first's products are free again.
    second = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT", facts=_green("甲、乙、丙"), submit=True
    )
    assert second.computed_amount == 15 * W
    assert _held(second) == 15 * W


def test_per_enterprise_reward_twice_refused_naming_the_first(application_factory, demo):
    facts = {"recognised_on": "2025-08-01", "certificate_no": "陕工信发〔2025〕7号"}
    first = application_factory(clause_code="M07-PRIVATE-ECONOMY-DEMO", facts=facts, submit=True)
    assert first.computed_amount == 10 * W  # 每户奖励10万元
    second = application_factory(
        clause_code="M07-PRIVATE-ECONOMY-DEMO",
        facts={**facts, "certificate_no": "陕工信发〔2025〕8号"},
    )
    with pytest.raises(DomainError) as info:
        _submit(second, demo["qindu_corp"])
    assert info.value.code == "not_eligible"
    assert first.reference in info.value.message
    assert "每户" in info.value.message


SUPPLIER = {
    "has_equipment_qualification": "是",
    "supporting_sales": "12000000",
    "sales_growth": "8",
}


def test_supplier_reward_once_per_assessment_year(application_factory, demo):
    clause = "M10-CIVILIAN-SUPPLIER"
    y2024 = application_factory(
        clause_code=clause, facts={**SUPPLIER, "assessment_year": "2024"}, submit=True
    )
    y2025 = application_factory(
        clause_code=clause, facts={**SUPPLIER, "assessment_year": "2025"}, submit=True
    )
    # Different years: both allowed, each 不超过30万元.
    assert (y2024.status, y2024.computed_amount) == (Status.COUNTY_REVIEW, 30 * W)
    assert (y2025.status, y2025.computed_amount) == (Status.COUNTY_REVIEW, 30 * W)
    assert _held(y2024) == 30 * W and AwardReservation.objects.get(
        application=y2025
    ).period_key == ("2025")
    again = application_factory(clause_code=clause, facts={**SUPPLIER, "assessment_year": "2024"})
    with pytest.raises(DomainError) as info:
        _submit(again, demo["qindu_corp"])
    assert y2024.reference in info.value.message
    assert Application.objects.get(pk=again.pk).status == Status.DRAFT


def test_supplier_reward_same_year_refused_by_the_engine_too(application_factory, demo):
    """Even after the first is approved (the basis check aside), the period is held."""
    clause = "M10-CIVILIAN-SUPPLIER"
    first = application_factory(
        clause_code=clause, facts={**SUPPLIER, "assessment_year": "2024"}, submit=True
    )
    _set(first, Status.PAID, approved_amount=30 * W)
    from applications.ledger import clause_evaluate_for

    _facts, result = clause_evaluate_for(
        version=first.rule_version,
        raw_facts={**SUPPLIER, "assessment_year": "2024"},
        organisation=first.organisation,
    )
    assert not result.eligible
    assert "考核年度2024已在申报" in result.blocking[0] and first.reference in result.blocking[0]


PRODUCTS = {"recognised_on": "2025-09-01"}


def test_same_products_in_another_order_refused(application_factory, demo):
    clause = "M10-FUSION-KEY-PRODUCT"
    first = application_factory(
        clause_code=clause,
        facts={**PRODUCTS, "product_count": "2", "product_names": "甲、乙"},
        submit=True,
    )
    assert first.computed_amount == 10 * W  # 2 × 5万
    for names in ("乙、甲", "乙 ， 甲"):
        again = application_factory(
            clause_code=clause, facts={**PRODUCTS, "product_count": "2", "product_names": names}
        )
        with pytest.raises(DomainError) as info:
            _submit(again, demo["qindu_corp"])
        assert info.value.code == "not_eligible"
        assert "均已申报或获奖" in info.value.message


def test_a_product_in_two_applications_is_refused_for_that_item_only(application_factory, demo):
    clause = "M10-FUSION-KEY-PRODUCT"
    first = application_factory(
        clause_code=clause,
        facts={**PRODUCTS, "product_count": "2", "product_names": "甲、乙"},
        submit=True,
    )
    second = application_factory(
        clause_code=clause,
        facts={**PRODUCTS, "product_count": "2", "product_names": "乙、丙"},
        submit=True,
    )
    # 乙 is the first's; 丙 alone is rewarded: 1 × 5万.
    assert second.status == Status.COUNTY_REVIEW
    assert second.computed_amount == 5 * W
    assert any("“乙”已在申报" in r and first.reference in r for r in second.evaluation["reasons"])
    held = AwardItem.objects.filter(application=second, released_at__isnull=True)
    assert [item.label for item in held] == ["丙"]


def test_certificate_numbers_compared_normalised(application_factory, demo):
    clause = "M10-QUALIFICATION-CERTIFICATE"
    facts = {"certificate_type": "equipment-contractor", "granted_on": "2025-08-01"}
    application_factory(
        clause_code=clause, facts={**facts, "certificate_no": "装〔2025〕12号"}, submit=True
    )
    again = application_factory(
        clause_code=clause, facts={**facts, "certificate_no": " 装[2025]12 号"}
    )
    with pytest.raises(DomainError) as info:
        _submit(again, demo["qindu_corp"])
    assert "同一项目不再重复支持" in info.value.message or "首次" in info.value.message


def test_recommend_lower_frees_headroom_and_amend_down_reduces(
    case_factory, application_factory, demo
):
    # Two provincial products × 3万 = 6万 held; recommending 6万 keeps it.
    first = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT",
        facts={**_green("甲、乙"), "level": "provincial"},
        submit=True,
    )
    assert _held(first) == 6 * W
    from applications.ledger import ledger_adjust

    ledger_adjust(application=first, amount=3 * W)  # e.g. an amendment down to one product
    assert _held(first) == 3 * W
    with pytest.raises(DomainError) as info:
        ledger_adjust(application=first, amount=21 * W)  # above the 20万 provincial cap
    assert info.value.code == "limit_exceeded"
    assert "剩余 ¥200,000.00" in info.value.message


def _profile_post(client, organisation, **changes):
    fields = [
        "industry",
        "contact_name",
        "contact_phone",
        "contact_email",
        "payee_name",
        "bank_name",
        "bank_account",
    ]
    data = {name: getattr(organisation, name) for name in fields}
    for name in ("is_industrial", "is_local_drug_manufacturer"):
        if changes.get(name, getattr(organisation, name)):
            data[name] = "on"
    return client.post("/accounts/organisation/", data)


def _calculate(client, organisation, code, facts):
    return client.post(
        "/api/v1/calculator/",
        {"clause": code, "organisation": organisation.pk, "facts": facts},
        content_type="application/json",
    ).json()


def test_industrial_attribute_is_kept_on_the_profile_and_checked(client, demo, open_round_db):
    from accounts.models import Organisation

    organisation = Organisation.objects.get(memberships__user=demo["qindu_corp"])
    assert organisation.is_industrial  # demo: 装备制造
    client.force_login(demo["qindu_corp"])
    facts = {
        "project_name": "锅炉烟气治理",
        "field": "air",
        "investment": "3000000",
        "completed_on": "2025-09-01",
    }
    assert _profile_post(client, organisation, is_industrial=False).status_code == 302
    organisation.refresh_from_db()
    assert organisation.is_industrial is False
    body = _calculate(client, organisation, "M15-CLEAN-PRODUCTION", facts)
    assert body["eligible"] is False
    assert body["blocking"] == ["本条款申报单位须为工业企业；申报单位信息未登记为工业企业"]
    _profile_post(client, organisation, is_industrial=True)
    body = _calculate(client, organisation, "M15-CLEAN-PRODUCTION", facts)
    # Ratio not yet set: within 不超过80万元, decided by the reviewer.
    assert (body["eligible"], body["amount"], body["amount_kind"]) == (
        True,
        "800000.00",
        "unspecified",
    )
    assert body["ratio_pending"] is True


def test_calculator_page_says_the_ratio_is_not_set(client, demo, open_round_db):
    client.force_login(demo["qindu_corp"])
    page = client.post(
        "/applications/calculator/",
        {
            "clause": "M05-DIGITAL-PROJECT",
            "fact_project_name": "5G专网",
            "fact_investment": "100000000000",
            "fact_completed_on": "2025-09-01",
        },
    ).content.decode()
    assert 'data-testid="ratio-pending"' in page
    assert "本条款未规定封顶金额" in page
    assert "5000000000" not in page  # no invented 50亿 ceiling


def test_reviewer_sees_the_headroom_left_and_who_holds_it(client, application_factory, demo):
    first = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT", facts=_green("甲、乙、丙、丁"), submit=True
    )
    second = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT", facts=_green("戊、己、庚"), submit=True
    )
    client.force_login(demo["county_qindu"])
    page = client.get(f"/reviews/cases/{second.reference}/").content.decode()
    assert 'data-testid="headroom"' in page
    assert "其他申报已占用 200000.00 元，剩余 100000.00 元" in page
    assert first.reference in page

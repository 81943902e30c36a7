"""Table-driven tests of the reward rules against the real catalogue (pure, no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from measures.rules import (
    Evaluation,
    FactsError,
    PriorAward,
    clean_facts,
    evaluate,
    format_amount_wan,
    load_catalogue_file,
)
from measures.rules.types import ClauseRule, TieredReward

CATALOGUE = load_catalogue_file(
    Path(__file__).resolve().parents[2] / "measures" / "catalogue" / "xianyang-2025.yaml"
)
VALIDITY = CATALOGUE.policy.validity
W = Decimal(10000)  # 1万元


def base_facts(rule: ClauseRule) -> dict[str, Any]:
    """Valid raw form values for every required fact; rows override what they test."""
    values: dict[str, Any] = {}
    for spec in rule.facts:
        if not spec.required:
            continue
        values[spec.name] = {
            "tier": spec.choices[0].value if spec.choices else "",
            "count": str(spec.min or 1),
            "money": "1000000",
            "percent": "10",
            "date": "2025-08-01",
            "text": f"{spec.name}-001",
            "bool": "是",
        }[spec.kind]
    return values


def award(
    code: str,
    amount: int,
    *,
    tier: str | None = None,
    basis: str | None = None,
    group: str | None = None,
) -> PriorAward:
    rule = CATALOGUE.clause(code)
    return PriorAward(code, group or rule.award_group, tier, Decimal(amount), basis)


@dataclass(frozen=True)
class Row:
    id: str
    code: str
    facts: dict[str, Any]
    eligible: bool
    amount: Decimal | None
    kind: str
    reason: str
    applicant: str = "enterprise"
    prior: tuple[PriorAward, ...] = field(default=())


def ok(
    id_: str,
    code: str,
    facts: dict[str, Any],
    amount: Decimal | int | None,
    kind: str,
    reason: str,
    *,
    applicant: str = "enterprise",
    prior: tuple[PriorAward, ...] = (),
) -> Row:
    value = None if amount is None else Decimal(amount)
    return Row(id_, code, facts, True, value, kind, reason, applicant, prior)


def no(
    id_: str,
    code: str,
    facts: dict[str, Any],
    reason: str,
    *,
    applicant: str = "enterprise",
    prior: tuple[PriorAward, ...] = (),
) -> Row:
    return Row(id_, code, facts, False, None, "none", reason, applicant, prior)


NATIONAL = {"level": "national"}
PROVINCIAL = {"level": "provincial"}
GREEN_NAT = "M14-GREEN-DESIGN-NATIONAL"
GREEN_PROV = "M14-GREEN-DESIGN-PROVINCIAL"

ROWS: list[Row] = [
    # ---- measure 1: counties and parks, amount set by the reviewer, no event date
    ok(
        "m01-county",
        "M01-TECH-CONTRACT-TURNOVER",
        {"turnover_2024": "52000000"},
        None,
        "unspecified",
        "由审核部门在批次预算内核定",
        applicant="county",
    ),
    ok(
        "m01-park-basis",
        "M01-TECH-CONTRACT-TURNOVER",
        {"turnover_2024": "52000000"},
        None,
        "unspecified",
        "核定参考：2024年技术合同成交额5200万元",
        applicant="park",
    ),
    ok(
        "m01-no-event",
        "M01-TECH-CONTRACT-TURNOVER",
        {},
        None,
        "unspecified",
        "不按认定日期校验政策有效期",
        applicant="county",
    ),
    no(
        "m01-enterprise",
        "M01-TECH-CONTRACT-TURNOVER",
        {},
        "本条款申报主体为：县市区、园区；当前为：企业",
    ),
    # ---- measure 2
    ok(
        "m02-innovation-centre",
        "M02-MFG-INNOVATION-CENTRE",
        {},
        100 * W,
        "ceiling",
        "省级制造业创新中心，奖励上限100万元",
    ),
    ok(
        "m02-tech-centre-provincial",
        "M02-ENTERPRISE-TECH-CENTRE",
        {"level": "provincial", "industrial_enterprise": "是"},
        20 * W,
        "ceiling",
        "省级企业技术中心（工业企业），奖励上限20万元",
    ),
    no(
        "m02-tech-centre-provincial-not-industrial",
        "M02-ENTERPRISE-TECH-CENTRE",
        {"level": "provincial", "industrial_enterprise": "否"},
        "不满足条件：省级企业技术中心须为工业企业",
    ),
    ok(
        "m02-tech-centre-municipal",
        "M02-ENTERPRISE-TECH-CENTRE",
        {"level": "municipal"},
        20 * W,
        "ceiling",
        "市级企业技术中心，奖励上限20万元",
    ),
    ok(
        "m02-tech-demo-national",
        "M02-TECH-INNOVATION-DEMO",
        NATIONAL,
        30 * W,
        "ceiling",
        "国家级技术创新示范企业，奖励上限30万元",
    ),
    ok(
        "m02-tech-demo-provincial",
        "M02-TECH-INNOVATION-DEMO",
        PROVINCIAL,
        20 * W,
        "ceiling",
        "省级技术创新示范企业，奖励上限20万元",
    ),
    ok(
        "m02-quality-national",
        "M02-QUALITY-BENCHMARK",
        NATIONAL,
        30 * W,
        "ceiling",
        "国家级质量标杆企业，奖励上限30万元",
    ),
    ok(
        "m02-quality-provincial",
        "M02-QUALITY-BENCHMARK",
        PROVINCIAL,
        20 * W,
        "ceiling",
        "省级质量标杆企业，奖励上限20万元",
    ),
    ok(
        "m02-brand-national",
        "M02-INDUSTRIAL-BRAND",
        NATIONAL,
        30 * W,
        "ceiling",
        "国家级工业品牌培育试点示范企业，奖励上限30万元",
    ),
    ok(
        "m02-brand-provincial",
        "M02-INDUSTRIAL-BRAND",
        PROVINCIAL,
        20 * W,
        "ceiling",
        "省级工业品牌培育试点示范企业，奖励上限20万元",
    ),
    ok(
        "m02-service-national",
        "M02-SERVICE-MANUFACTURING",
        NATIONAL,
        30 * W,
        "ceiling",
        "国家级服务型制造试点示范企业，奖励上限30万元",
    ),
    ok(
        "m02-service-provincial",
        "M02-SERVICE-MANUFACTURING",
        PROVINCIAL,
        20 * W,
        "ceiling",
        "省级服务型制造试点示范企业，奖励上限20万元",
    ),
    ok(
        "m02-design-national",
        "M02-INDUSTRIAL-DESIGN-CENTRE",
        NATIONAL,
        30 * W,
        "ceiling",
        "国家级工业设计中心，奖励上限30万元",
    ),
    ok(
        "m02-design-provincial",
        "M02-INDUSTRIAL-DESIGN-CENTRE",
        PROVINCIAL,
        20 * W,
        "ceiling",
        "省级工业设计中心，奖励上限20万元",
    ),
    ok(
        "m02-sme-national",
        "M02-SPECIALISED-SME",
        NATIONAL,
        20 * W,
        "ceiling",
        "国家级专精特新“小巨人”，奖励上限20万元",
    ),
    ok(
        "m02-sme-provincial",
        "M02-SPECIALISED-SME",
        PROVINCIAL,
        10 * W,
        "ceiling",
        "省级“专精特新”中小企业，奖励上限10万元",
    ),
    no(
        "m02-sme-national-already",
        "M02-SPECIALISED-SME",
        NATIONAL,
        "本条款仅奖励首次认定",
        prior=(award("M02-SPECIALISED-SME", 200000, tier="national"),),
    ),
    ok(
        "m02-sme-provincial-then-national",
        "M02-SPECIALISED-SME",
        NATIONAL,
        20 * W,
        "ceiling",
        "符合首次认定",
        prior=(award("M02-SPECIALISED-SME", 100000, tier="provincial"),),
    ),
    # ---- validity of the qualifying event (2025-06-30 … 2025-12-31, both inclusive)
    no(
        "validity-2025-06-29",
        "M02-SPECIALISED-SME",
        {"recognised_on": "2025-06-29"},
        "认定日期2025-06-29不在政策有效期内（2025-06-30至2025-12-31）",
    ),
    ok(
        "validity-2025-06-30",
        "M02-SPECIALISED-SME",
        {"recognised_on": "2025-06-30"},
        20 * W,
        "ceiling",
        "认定日期2025-06-30在政策有效期内（2025-06-30至2025-12-31）",
    ),
    ok(
        "validity-2025-12-31",
        "M07-PRIVATE-ECONOMY-DEMO",
        {"recognised_on": "2025-12-31"},
        10 * W,
        "fixed",
        "认定日期2025-12-31在政策有效期内（2025-06-30至2025-12-31）",
    ),
    no(
        "validity-2026-01-01",
        "M07-PRIVATE-ECONOMY-DEMO",
        {"recognised_on": "2026-01-01"},
        "认定日期2026-01-01不在政策有效期内",
    ),
    # ---- measure 3
    ok(
        "m03-first-set-domestic",
        "M03-FIRST-SET",
        {"scope": "domestic"},
        30 * W,
        "ceiling",
        "国内首台（套），奖励上限30万元",
    ),
    ok(
        "m03-first-set-provincial",
        "M03-FIRST-SET",
        {"scope": "provincial"},
        20 * W,
        "ceiling",
        "省内首台（套），奖励上限20万元",
    ),
    no(
        "m03-first-set-not-produced",
        "M03-FIRST-SET",
        {"mass_production": "否"},
        "已投入批量生产：否，不满足条件：技术领先具有市场推广价值并投入批量生产",
    ),
    ok("m03-boutique", "M03-INDUSTRIAL-BOUTIQUE", {}, 5 * W, "fixed", "省级“工业精品”，奖励5万元"),
    ok(
        "m03-new-material-20pct",
        "M03-NEW-MATERIAL-FIRST-BATCH",
        {"provincial_award": "500000"},
        10 * W,
        "ceiling",
        "省级新材料首批次应用产品销售奖励额50万元 × 20% = 10万元",
    ),
    ok(
        "m03-new-material-rounding",
        "M03-NEW-MATERIAL-FIRST-BATCH",
        {"provincial_award": "123456.78"},
        # 20% is 24,691.356: "不超过奖励额的20%" allows 24,691.35, not 24,691.36 (rounded half up).
        Decimal("24691.35"),
        "ceiling",
        "24691.35元",
    ),
    ok(
        "m03-new-material-never-above-20pct",
        "M03-NEW-MATERIAL-FIRST-BATCH",
        {"provincial_award": "333333.33"},
        Decimal("66666.66"),  # 20% is 66,666.666
        "ceiling",
        "66666.66元",
    ),
    ok("m03-generic-drug", "M03-GENERIC-DRUG", {}, 50 * W, "ceiling", "奖励上限50万元"),
    no(
        "m03-generic-drug-one-time",
        "M03-GENERIC-DRUG",
        {"drug_name": "另一品种"},
        "本条款为一次性奖励，已获本条款奖励50万元",
        prior=(award("M03-GENERIC-DRUG", 500000, basis="某品种"),),
    ),
    ok(
        "m03-pharma-3-products",
        "M03-PHARMA-ADVANTAGE",
        {"product_count": "3"},
        15 * W,
        "fixed",
        "每个产品5万元 × 3个 = 15万元",
    ),
    # ---- measure 4
    ok(
        "m04-leading",
        "M04-SMART-FACTORY",
        {"level": "leading"},
        80 * W,
        "ceiling",
        "领航级智能工厂，奖励上限80万元",
    ),
    ok(
        "m04-excellent",
        "M04-SMART-FACTORY",
        {"level": "excellent"},
        50 * W,
        "ceiling",
        "卓越级智能工厂，奖励上限50万元",
    ),
    ok(
        "m04-advanced",
        "M04-SMART-FACTORY",
        {"level": "advanced"},
        20 * W,
        "ceiling",
        "先进级智能工厂，奖励上限20万元",
    ),
    ok(
        "m04-basic",
        "M04-BASIC-SMART-FACTORY",
        {},
        10 * W,
        "fixed",
        "市级基础级智能工厂，奖励10万元",
    ),
    no(
        "m04-basic-already",
        "M04-BASIC-SMART-FACTORY",
        {},
        "本条款仅奖励首次认定",
        prior=(award("M04-BASIC-SMART-FACTORY", 100000, basis="旧文号"),),
    ),
    # ---- measure 5
    ok(
        "m05-cloud",
        "M05-CLOUD-SERVICES",
        {"service_fee": "80000"},
        None,
        "unspecified",
        "给予一定的奖励",
    ),
    # "一定比例" with no ratio set and no cap in the text: an amount the reviewer sets, within
    # the investment it is a share of (the default 5% binds nothing).
    ok(
        "m05-digital-project",
        "M05-DIGITAL-PROJECT",
        {"investment": "100000000000"},
        Decimal("100000000000"),
        "unspecified",
        "具体比例尚未由政策管理员设定；金额由审核部门核定（本条款未规定封顶金额）",
    ),
    # ---- measure 6
    ok(
        "m06-5g-national",
        "M06-5G-FUSION-DEMO",
        NATIONAL,
        30 * W,
        "ceiling",
        "国家级5G+工业互联网典型应用场景或融合发展示范，奖励上限30万元",
    ),
    ok("m06-5g-provincial", "M06-5G-FUSION-DEMO", PROVINCIAL, 20 * W, "ceiling", "奖励上限20万元"),
    ok("m06-benchmark", "M06-PROVINCIAL-BENCHMARK", {}, 20 * W, "ceiling", "奖励上限20万元"),
    ok("m06-digital-case", "M06-DIGITAL-ECONOMY-CASE", {}, 10 * W, "ceiling", "奖励上限10万元"),
    ok(
        "m06-aaa",
        "M06-TWO-INTEGRATION",
        {"grade": "AAA"},
        10 * W,
        "ceiling",
        "两化融合贯标AAA级，奖励上限10万元",
    ),
    ok(
        "m06-aa",
        "M06-TWO-INTEGRATION",
        {"grade": "AA"},
        8 * W,
        "ceiling",
        "两化融合贯标AA级，奖励上限8万元",
    ),
    ok(
        "m06-a",
        "M06-TWO-INTEGRATION",
        {"grade": "A"},
        5 * W,
        "ceiling",
        "两化融合贯标A级，奖励上限5万元",
    ),
    ok("m06-dcmm-3", "M06-DCMM", {"grade": "level-3"}, 20 * W, "fixed", "DCMM三级，奖励20万元"),
    ok("m06-dcmm-2", "M06-DCMM", {"grade": "level-2"}, 10 * W, "fixed", "DCMM二级，奖励10万元"),
    # ---- measure 7
    ok("m07-private-demo", "M07-PRIVATE-ECONOMY-DEMO", {}, 10 * W, "fixed", "奖励10万元"),
    # ---- measure 10
    ok(
        "m10-secrecy-2000000",
        "M10-QUALIFICATION-CERTIFICATE",
        {"certificate_type": "secrecy-level-2", "annual_supporting_tasks": "2000000"},
        15 * W,
        "fixed",
        "年承担配套任务金额200万元，满足条件：年承担配套任务不少于200万元",
    ),
    no(
        "m10-secrecy-1999999",
        "M10-QUALIFICATION-CERTIFICATE",
        {"certificate_type": "secrecy-level-2", "annual_supporting_tasks": "1999999"},
        "年承担配套任务金额1999999.00元，不满足条件：年承担配套任务不少于200万元",
    ),
    no(
        "m10-secrecy-tasks-missing",
        "M10-QUALIFICATION-CERTIFICATE",
        {"certificate_type": "secrecy-level-2"},
        "未填写年承担配套任务金额",
    ),
    ok(
        "m10-equipment-contractor",
        "M10-QUALIFICATION-CERTIFICATE",
        {"certificate_type": "equipment-contractor"},
        15 * W,
        "fixed",
        "装备承制资格（每证），奖励15万元",
    ),
    ok(
        "m10-licence-after-other-certificate",
        "M10-QUALIFICATION-CERTIFICATE",
        {"certificate_type": "research-production-licence"},
        15 * W,
        "fixed",
        "科研生产许可（每证），奖励15万元",
        prior=(award("M10-QUALIFICATION-CERTIFICATE", 150000, tier="equipment-contractor"),),
    ),
    no(
        "m10-licence-already",
        "M10-QUALIFICATION-CERTIFICATE",
        {"certificate_type": "research-production-licence"},
        "已获同类奖励（科研生产许可）15万元",
        prior=(award("M10-QUALIFICATION-CERTIFICATE", 150000, tier="research-production-licence"),),
    ),
    ok("m10-filing", "M10-EQUIPMENT-FILING", {}, 10 * W, "fixed", "装备科研生产备案，奖励10万元"),
    ok(
        "m10-civilian-thresholds-met",
        "M10-CIVILIAN-SUPPLIER",
        {"assessment_year": "2025", "supporting_sales": "10000000", "sales_growth": "6.00"},
        30 * W,
        "ceiling",
        "配套任务销售收入同比增长率6%，满足条件：同比增长6%（含本数）以上",
    ),
    no(
        "m10-civilian-sales-below",
        "M10-CIVILIAN-SUPPLIER",
        {"assessment_year": "2025", "supporting_sales": "9999999.99", "sales_growth": "8"},
        "承担相关配套任务销售收入9999999.99元，不满足条件：销售收入达到1000万元（含本数）以上",
    ),
    no(
        "m10-civilian-growth-below",
        "M10-CIVILIAN-SUPPLIER",
        {"assessment_year": "2025", "supporting_sales": "12000000", "sales_growth": "5.99"},
        "同比增长率5.99%，不满足条件：同比增长6%（含本数）以上",
    ),
    no(
        "m10-civilian-no-qualification",
        "M10-CIVILIAN-SUPPLIER",
        {
            "assessment_year": "2025",
            "supporting_sales": "12000000",
            "sales_growth": "9",
            "has_equipment_qualification": "否",
        },
        "须具有装备承制资质",
    ),
    ok("m10-fusion-enterprise", "M10-FUSION-KEY-ENTERPRISE", {}, 20 * W, "fixed", "奖励20万元"),
    ok(
        "m10-fusion-products",
        "M10-FUSION-KEY-PRODUCT",
        {"product_count": "2"},
        10 * W,
        "fixed",
        "每个产品5万元 × 2个 = 10万元",
    ),
    ok(
        "m10-advanced-tech",
        "M10-ADVANCED-TECH-CATALOGUE",
        {"product_count": "4"},
        20 * W,
        "fixed",
        "每个产品5万元 × 4个 = 20万元",
    ),
    # ---- measure 11 / 12: parks
    ok(
        "m11-park-national",
        "M11-CHARACTERISTIC-PARK",
        NATIONAL,
        100 * W,
        "ceiling",
        "国家级特色专业园区，奖励上限100万元",
        applicant="park",
    ),
    ok(
        "m11-park-provincial",
        "M11-CHARACTERISTIC-PARK",
        PROVINCIAL,
        50 * W,
        "ceiling",
        "省级特色专业园区，奖励上限50万元",
        applicant="park",
    ),
    no(
        "m11-park-wrong-applicant",
        "M11-CHARACTERISTIC-PARK",
        NATIONAL,
        "本条款申报主体为：园区；当前为：企业",
    ),
    ok(
        "m11-base-national",
        "M11-SMALL-MICRO-BASE",
        NATIONAL,
        50 * W,
        "ceiling",
        "国家级小微企业“双创”基地，奖励上限50万元",
        applicant="park",
    ),
    ok(
        "m11-base-provincial",
        "M11-SMALL-MICRO-BASE",
        PROVINCIAL,
        20 * W,
        "ceiling",
        "省级小微企业“双创”基地，奖励上限20万元",
    ),
    ok(
        "m11-municipal-base",
        "M11-MUNICIPAL-BASE",
        {},
        20 * W,
        "fixed",
        "市级“双创”基地，奖励20万元",
        applicant="park",
    ),
    ok(
        "m12-cluster-national",
        "M12-INDUSTRIAL-CLUSTER",
        NATIONAL,
        100 * W,
        "ceiling",
        "国家级中小企业特色产业集群，奖励上限100万元",
        applicant="county",
    ),
    ok(
        "m12-cluster-provincial",
        "M12-INDUSTRIAL-CLUSTER",
        PROVINCIAL,
        50 * W,
        "ceiling",
        "省级中小企业特色产业集群，奖励上限50万元",
        applicant="park",
    ),
    # 新认定 names the cluster or base, not the applicant: a second one is rewarded too,
    # the same certificate is not.
    ok(
        "m12-second-cluster-same-level",
        "M12-INDUSTRIAL-CLUSTER",
        {**PROVINCIAL, "certificate_no": "陕工信发〔2025〕2号"},
        50 * W,
        "ceiling",
        "省级中小企业特色产业集群，奖励上限50万元",
        applicant="county",
        prior=(
            award("M12-INDUSTRIAL-CLUSTER", 500000, tier="provincial", basis="陕工信发〔2025〕1号"),
        ),
    ),
    no(
        "m12-same-cluster-certificate-again",
        "M12-INDUSTRIAL-CLUSTER",
        {**PROVINCIAL, "certificate_no": "陕工信发〔2025〕1号"},
        "同一事项“陕工信发〔2025〕1号”已获本条款奖励50万元",
        applicant="county",
        prior=(
            award("M12-INDUSTRIAL-CLUSTER", 500000, tier="provincial", basis="陕工信发〔2025〕1号"),
        ),
    ),
    ok(
        "m11-second-municipal-base",
        "M11-MUNICIPAL-BASE",
        {"certificate_no": "咸工信发〔2025〕9号"},
        20 * W,
        "fixed",
        "市级“双创”基地，奖励20万元",
        applicant="park",
        prior=(award("M11-MUNICIPAL-BASE", 200000, basis="咸工信发〔2025〕8号"),),
    ),
    ok(
        "m11-second-small-micro-base",
        "M11-SMALL-MICRO-BASE",
        {**PROVINCIAL, "certificate_no": "陕工信发〔2025〕5号"},
        20 * W,
        "ceiling",
        "省级小微企业“双创”基地，奖励上限20万元",
        applicant="park",
        prior=(
            award("M11-SMALL-MICRO-BASE", 200000, tier="provincial", basis="陕工信发〔2025〕4号"),
        ),
    ),
    no(
        "m12-cluster-investment-promoter",
        "M12-INDUSTRIAL-CLUSTER",
        NATIONAL,
        "本条款申报主体为：园区、县市区；当前为：招引主体",
        applicant="investment_promoter",
    ),
    ok(
        "m13-platform",
        "M13-PUBLIC-SERVICE-PLATFORM",
        {"platform_type": "testing"},
        None,
        "unspecified",
        "给予一定奖补支持",
        applicant="park",
    ),
    # "支持开发区…公共服务平台": outside a 开发区 it is not this clause; "…等" keeps the list open.
    no(
        "m13-platform-outside-zone",
        "M13-PUBLIC-SERVICE-PLATFORM",
        {"in_development_zone": "否"},
        "须为开发区公共服务平台建设项目",
        applicant="park",
    ),
    ok(
        "m13-platform-other-kind",
        "M13-PUBLIC-SERVICE-PLATFORM",
        {"platform_type": "other"},
        None,
        "unspecified",
        "满足条件：须为开发区公共服务平台建设项目",
    ),
    # ---- measure 14: green manufacturing
    ok("m14-emergency-a", "M14-EMERGENCY-PERFORMANCE-A", {}, None, "unspecified", "给予一定奖励"),
    ok(
        "m14-green-national",
        "M14-GREEN-MANUFACTURING",
        NATIONAL,
        30 * W,
        "ceiling",
        "首次获得国家级绿色制造名单，奖励上限30万元",
    ),
    ok(
        "m14-green-provincial",
        "M14-GREEN-MANUFACTURING",
        {"level": "provincial", "listing_type": "green-park"},
        20 * W,
        "ceiling",
        "首次获得省级绿色制造名单，奖励上限20万元",
        applicant="park",
    ),
    # "首次获得": a listing the portal never saw (before it existed) is declared, and blocks.
    no(
        "m14-green-not-first",
        "M14-GREEN-MANUFACTURING",
        {"level": "national", "first_listing": "否"},
        "须为首次获得该级别绿色制造名单认定",
    ),
    no(
        "m14-green-national-not-first",
        "M14-GREEN-MANUFACTURING",
        NATIONAL,
        "本条款仅奖励首次认定，已获同类奖励（国家级）30万元",
        prior=(award("M14-GREEN-MANUFACTURING", 300000, tier="national"),),
    ),
    ok(
        "m14-design-national-3",
        "M14-GREEN-DESIGN-PRODUCT",
        {"level": "national", "product_count": "3"},
        15 * W,
        "fixed",
        "国家级绿色设计产品，每种产品5万元 × 3种 = 15万元",
    ),
    ok(
        "m14-design-national-cap-left",
        "M14-GREEN-DESIGN-PRODUCT",
        {"level": "national", "product_count": "5"},
        10 * W,
        "fixed",
        "累计上限30万元，已获20万元，本次最多10万元",
        prior=(
            award("M14-GREEN-DESIGN-PRODUCT", 100000, tier="national", group=GREEN_NAT),
            award("M14-GREEN-DESIGN-PRODUCT", 100000, tier="national", group=GREEN_NAT),
        ),
    ),
    no(
        "m14-design-national-cap-used",
        "M14-GREEN-DESIGN-PRODUCT",
        {"level": "national", "product_count": "5"},
        "累计上限30万元，已获30万元，额度已用完",
        prior=(
            award("M14-GREEN-DESIGN-PRODUCT", 150000, tier="national", group=GREEN_NAT),
            award("M14-GREEN-DESIGN-PRODUCT", 150000, tier="national", group=GREEN_NAT),
        ),
    ),
    ok(
        "m14-design-provincial-2",
        "M14-GREEN-DESIGN-PRODUCT",
        {"level": "provincial", "product_count": "2"},
        6 * W,
        "fixed",
        "每种产品3万元 × 2种 = 6万元",
    ),
    ok(
        "m14-design-provincial-8-capped",
        "M14-GREEN-DESIGN-PRODUCT",
        {"level": "provincial", "product_count": "8"},
        20 * W,
        "fixed",
        "按累计上限核减为20万元",
    ),
    ok(
        "m14-design-provincial-ignores-national",
        "M14-GREEN-DESIGN-PRODUCT",
        {"level": "provincial", "product_count": "2"},
        6 * W,
        "fixed",
        "累计上限20万元，已获0万元，本次最多20万元",
        prior=(award("M14-GREEN-DESIGN-PRODUCT", 300000, tier="national", group=GREEN_NAT),),
    ),
    # ---- measure 15: "一定比例…给予不超过80万元": until the ratio is set, within 80万
    ok(
        "m15-ratio-not-set",
        "M15-CLEAN-PRODUCTION",
        {"investment": "10000000"},
        80 * W,
        "unspecified",
        "具体比例尚未由政策管理员设定；金额由审核部门核定（不超过80万元）",
    ),
    # A share of the investment is never more than the investment: 5万 invested, at most 5万.
    ok(
        "m15-ratio-not-set-small-base",
        "M15-CLEAN-PRODUCTION",
        {"investment": "50000"},
        5 * W,
        "unspecified",
        "按项目投资额的一定比例核定，金额不超过项目投资额5万元",
    ),
    ok(
        "m15-other-field",
        "M15-CLEAN-PRODUCTION",
        {"field": "other", "investment": "10000000"},
        80 * W,
        "unspecified",
        "具体比例尚未由政策管理员设定",
    ),
    ok(
        "m15-ratio-not-set-large",
        "M15-CLEAN-PRODUCTION",
        {"investment": "20000000"},
        80 * W,
        "unspecified",
        "核定参考：项目投资额2000万元",
    ),
    # ---- measure 16
    ok("m16-relocation", "M16-RELOCATION", {}, None, "unspecified", "给予一定支持"),
    no(
        "m16-relocation-late",
        "M16-RELOCATION",
        {"on_schedule": "否"},
        "须按期完成阶段性搬迁改造任务",
    ),
    ok(
        "m16-air-quality",
        "M16-AIR-QUALITY-RECTIFICATION",
        {},
        None,
        "unspecified",
        "满足条件：须纳入《咸阳市2025年空气质量改善进位行动方案》",
    ),
    # ---- measure 17
    ok(
        "m17-key-project",
        "M17-KEY-PROJECT",
        {"investment": "3000000"},
        80 * W,
        "unspecified",
        "按投资额一定比例，按项目投资额的一定比例奖励，具体比例尚未由政策管理员设定",
    ),
    ok(
        "m17-loan-interest",
        "M17-LOAN-INTEREST",
        {"loan_amount": "10000000"},
        80 * W,
        "unspecified",
        "按流动资金贷款额的一定比例奖励，具体比例尚未由政策管理员设定；金额由审核部门核定（不超过80万元）",
    ),
    ok(
        "m17-loan-interest-small-loan",
        "M17-LOAN-INTEREST",
        {"loan_amount": "10000"},
        1 * W,
        "unspecified",
        "按流动资金贷款额的一定比例核定，金额不超过流动资金贷款额1万元",
    ),
    no(
        "m17-loan-not-new-capacity",
        "M17-LOAN-INTEREST",
        {"new_capacity": "否"},
        "须为有流动资金贷款的新增产能项目",
    ),
    # ---- measure 18
    ok(
        "m18-leading-national",
        "M18-LEADING-ENTERPRISE",
        NATIONAL,
        30 * W,
        "ceiling",
        "国家级领航企业（一次性奖励），奖励上限30万元",
    ),
    ok(
        "m18-leading-provincial",
        "M18-LEADING-ENTERPRISE",
        PROVINCIAL,
        20 * W,
        "ceiling",
        "省级领航企业（一次性奖励），奖励上限20万元",
    ),
    no(
        "m18-leading-one-time",
        "M18-LEADING-ENTERPRISE",
        NATIONAL,
        "本条款为一次性奖励",
        prior=(award("M18-LEADING-ENTERPRISE", 200000, tier="provincial"),),
    ),
    ok(
        "m18-champion-national",
        "M18-SINGLE-CHAMPION",
        {"level": "national", "champion_type": "product"},
        30 * W,
        "ceiling",
        "国家级制造业单项冠军（一次性奖励），奖励上限30万元",
    ),
    ok(
        "m18-champion-provincial",
        "M18-SINGLE-CHAMPION",
        PROVINCIAL,
        20 * W,
        "ceiling",
        "省级制造业单项冠军（一次性奖励），奖励上限20万元",
    ),
    ok("m18-scale-industrial", "M18-SCALE-INDUSTRIAL", {}, 20 * W, "fixed", "奖励20万元"),
    ok(
        "m18-scale-software",
        "M18-SCALE-SOFTWARE-IT",
        {},
        20 * W,
        "fixed",
        "信息传输、软件和信息技术服务业企业（每户），奖励20万元",
    ),
    # "…信息传输、软件和信息技术服务业企业": another industry is not rewarded by this clause.
    no(
        "m18-scale-software-other-industry",
        "M18-SCALE-SOFTWARE-IT",
        {"it_services": "否"},
        "须为信息传输、软件和信息技术服务业企业",
    ),
    no(
        "m18-scale-software-after-industrial",
        "M18-SCALE-SOFTWARE-IT",
        {},
        "本条款仅奖励首次认定，已获同类奖励20万元（M18-SCALE-INDUSTRIAL）",
        prior=(award("M18-SCALE-INDUSTRIAL", 200000),),
    ),
    # ---- measure 19, 20, 24
    ok(
        "m19-promoter",
        "M19-INVESTMENT-ATTRACTION",
        {"total_investment": "300000000"},
        None,
        "unspecified",
        "核定参考：项目投资总额30000万元",
        applicant="investment_promoter",
    ),
    no(
        "m19-enterprise",
        "M19-INVESTMENT-ATTRACTION",
        {},
        "本条款申报主体为：招引主体；当前为：企业",
    ),
    ok("m20-case", "M20-CASE-BY-CASE", {}, None, "unspecified", "一事一议"),
    ok(
        "m24-county",
        "M24-OPERATION-MONITORING",
        {},
        None,
        "unspecified",
        "根据工作开展情况给予奖补",
        applicant="county",
    ),
    # ---- no double support: the same certificate/project under the same clause
    no(
        "duplicate-basis",
        "M06-DIGITAL-ECONOMY-CASE",
        {"case_name": "智慧工厂案例"},
        "同一事项“智慧工厂案例”已获本条款奖励10万元",
        prior=(award("M06-DIGITAL-ECONOMY-CASE", 100000, basis="智慧工厂案例"),),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_rule_table(row: Row) -> None:
    rule = CATALOGUE.clause(row.code)
    raw = base_facts(rule) | row.facts
    if rule.items_fact and rule.items_fact not in row.facts:
        # One distinct product name per counted product (the count must match the list).
        count = int(raw.get("product_count", 1))
        raw[rule.items_fact] = "、".join(f"产品{i}" for i in range(1, count + 1))
    facts = clean_facts(rule, raw)
    result = evaluate(
        rule, facts, applicant_type=row.applicant, prior_awards=row.prior, validity=VALIDITY
    )
    trace = "\n".join(result.reasons)
    assert result.eligible is row.eligible, trace
    assert result.amount == row.amount, trace
    if row.amount is not None:
        assert result.amount.as_tuple().exponent == -2
    assert result.amount_kind == row.kind
    assert any(row.reason in text for text in result.reasons), trace
    if row.eligible:
        assert result.blocking == ()
    else:
        assert result.blocking, trace
        assert set(result.blocking) <= set(result.reasons)


def test_table_covers_every_clause_and_tier() -> None:
    covered = {row.code for row in ROWS}
    assert covered == {rule.code for rule in CATALOGUE.clauses()}
    for rule in CATALOGUE.clauses():
        if isinstance(rule.reward, TieredReward):
            name = rule.reward.tier_fact
            default = base_facts(rule)[name]
            tiers = {
                row.facts.get(name, default)
                for row in ROWS
                if row.code == rule.code and row.eligible
            }
            assert tiers == {value for value, _ in rule.reward.tiers}, rule.code


def test_evaluation_records_tier_and_award_group() -> None:
    rule = CATALOGUE.clause("M14-GREEN-DESIGN-PRODUCT")
    facts = clean_facts(rule, base_facts(rule) | {"level": "provincial"})
    result = evaluate(rule, facts, applicant_type="enterprise", validity=VALIDITY)
    assert (result.tier, result.award_group) == ("provincial", GREEN_PROV)
    data = result.to_dict()
    assert data["amount"] == "30000.00"
    assert data["amount_kind"] == "fixed"
    assert data["reasons"] == list(result.reasons)


def test_blocked_evaluation_collects_every_blocking_reason() -> None:
    rule = CATALOGUE.clause("M10-CIVILIAN-SUPPLIER")
    raw = base_facts(rule) | {"supporting_sales": "100", "sales_growth": "-5"}
    result = evaluate(rule, clean_facts(rule, raw), applicant_type="park", validity=VALIDITY)
    assert not result.eligible
    assert len(result.blocking) == 3  # applicant type, sales, growth
    assert result.to_dict()["amount"] is None


def test_evaluation_is_frozen() -> None:
    result = Evaluation(True, Decimal("1.00"), "fixed", ("a",), ())
    with pytest.raises(AttributeError):
        result.eligible = False  # type: ignore[misc]


def test_evaluate_uses_the_given_validity() -> None:
    rule = CATALOGUE.clause("M07-PRIVATE-ECONOMY-DEMO")
    facts = clean_facts(rule, base_facts(rule) | {"recognised_on": "2026-03-01"})
    later = (date(2026, 1, 1), date(2026, 12, 31))
    assert evaluate(rule, facts, applicant_type="enterprise", validity=later).eligible
    assert not evaluate(rule, facts, applicant_type="enterprise", validity=VALIDITY).eligible


def test_wording_remembered_by_a_compiled_rule_is_each_inputs_own() -> None:
    """The engine words event dates, per-item totals and count mismatches once per value; the
    reasons must still be those of each input, past the number of values it keeps and after
    the policy period changes."""
    rule = CATALOGUE.clause("M07-PRIVATE-ECONOMY-DEMO")
    periods = (
        (VALIDITY, "2025-06-30至2025-12-31"),
        ((date(2026, 1, 1), date(2026, 12, 31)), "2026-01-01至2026-12-31"),
    )
    for validity, span in periods * 2:
        for offset in range(0, 1500, 3):  # 500 dates a period, 1000 in all
            day = date(2025, 6, 1) + timedelta(days=offset)
            facts = clean_facts(rule, base_facts(rule) | {"recognised_on": day.isoformat()})
            result = evaluate(rule, facts, applicant_type="enterprise", validity=validity)
            inside = validity[0] <= day <= validity[1]
            where = "在" if inside else "不在"
            assert f"认定日期{day.isoformat()}{where}政策有效期内（{span}）" in result.reasons
            assert result.eligible is inside

    pharma = CATALOGUE.clause("M03-PHARMA-ADVANTAGE")
    for _round in range(2):
        for count, names, reason in (
            (3, "甲、乙、丙", "全省医药优势产品目录，每个产品5万元 × 3个 = 15万元"),
            (2, "甲、乙", "全省医药优势产品目录，每个产品5万元 × 2个 = 10万元"),
            (3, "甲、乙", "列入目录的产品数量（3）与产品名称（多个以顿号分隔）所列的2项不一致"),
            (1, "甲、乙", "列入目录的产品数量（1）与产品名称（多个以顿号分隔）所列的2项不一致"),
        ):
            raw = base_facts(pharma) | {"product_count": str(count), "product_names": names}
            result = _evaluate("M03-PHARMA-ADVANTAGE", raw)
            assert any(text.startswith(reason) for text in result.reasons), result.reasons
            assert result.eligible is (count == len(names.split("、")))


# -------------------------------------------------------------------------------- clean_facts

SME = CATALOGUE.clause("M02-SPECIALISED-SME")
CIVILIAN = CATALOGUE.clause("M10-CIVILIAN-SUPPLIER")
PHARMA = CATALOGUE.clause("M03-PHARMA-ADVANTAGE")
SME_OK = {"level": "national", "recognised_on": "2025-08-01", "certificate_no": "工信厅-1"}
CIVILIAN_OK = {
    "assessment_year": "2025",
    "has_equipment_qualification": "是",
    "supporting_sales": "10000000",
    "sales_growth": "6",
}


def test_clean_facts_types() -> None:
    facts = clean_facts(CIVILIAN, CIVILIAN_OK | {"supporting_sales": "12,000,000.5"})
    assert facts == {
        "assessment_year": 2025,
        "has_equipment_qualification": True,
        "supporting_sales": Decimal("12000000.50"),
        "sales_growth": Decimal(6),
    }
    assert clean_facts(SME, SME_OK)["recognised_on"] == date(2025, 8, 1)
    assert clean_facts(SME, SME_OK | {"level": "省级"})["level"] == "provincial"


@pytest.mark.parametrize(
    ("rule", "raw", "field", "message"),
    [
        (CIVILIAN, CIVILIAN_OK | {"supporting_sales": "-1"}, "supporting_sales", "不能为负数"),
        (SME, SME_OK | {"level": "county"}, "level", "未知的等级：county，可选：国家级、省级"),
        (
            SME,
            {k: v for k, v in SME_OK.items() if k != "recognised_on"},
            "recognised_on",
            "请填写认定日期",
        ),
        (SME, SME_OK | {"certificate_no": "  "}, "certificate_no", "请填写认定文件文号"),
        (
            CIVILIAN,
            CIVILIAN_OK | {"supporting_sales": "100000000001"},
            "supporting_sales",
            "数额过大",
        ),
        (
            PHARMA,
            {"product_count": "10001", "product_names": "x", "listed_on": "2025-08-01"},
            "product_count",
            "数量过大",
        ),
        (
            PHARMA,
            {"product_count": "0", "product_names": "x", "listed_on": "2025-08-01"},
            "product_count",
            "不能小于1",
        ),
        (
            PHARMA,
            {"product_count": "2.5", "product_names": "x", "listed_on": "2025-08-01"},
            "product_count",
            "须为整数",
        ),
        (CIVILIAN, CIVILIAN_OK | {"sales_growth": "10001"}, "sales_growth", "超出合理范围"),
        (CIVILIAN, CIVILIAN_OK | {"sales_growth": "-100.01"}, "sales_growth", "超出合理范围"),
        (
            CIVILIAN,
            CIVILIAN_OK | {"supporting_sales": "1000.123"},
            "supporting_sales",
            "最多保留两位小数",
        ),
        (
            CIVILIAN,
            CIVILIAN_OK | {"supporting_sales": "一千万"},
            "supporting_sales",
            "不是有效数字",
        ),
        (CIVILIAN, CIVILIAN_OK | {"supporting_sales": "NaN"}, "supporting_sales", "不是有效数字"),
        (CIVILIAN, CIVILIAN_OK | {"supporting_sales": True}, "supporting_sales", "须为数字"),
        (
            CIVILIAN,
            CIVILIAN_OK | {"has_equipment_qualification": "maybe"},
            "has_equipment_qualification",
            "须为“是”或“否”",
        ),
        (SME, SME_OK | {"recognised_on": "2025-13-01"}, "recognised_on", "日期格式无效"),
        (SME, SME_OK | {"recognised_on": "明天"}, "recognised_on", "日期格式无效"),
        (SME, SME_OK | {"extra": "1"}, "extra", "未知的字段：extra"),
    ],
    ids=[
        "negative",
        "unknown-tier",
        "missing",
        "blank",
        "absurd-money",
        "absurd-count",
        "below-min",
        "fractional-count",
        "percent-high",
        "percent-low",
        "three-decimals",
        "garbage",
        "nan",
        "bool-as-money",
        "bad-bool",
        "bad-date",
        "garbage-date",
        "unknown-field",
    ],
)
def test_clean_facts_errors(
    rule: ClauseRule, raw: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(FactsError) as caught:
        clean_facts(rule, raw)
    assert field in caught.value.errors
    assert message in caught.value.errors[field]


def test_clean_facts_reports_every_field() -> None:
    with pytest.raises(FactsError) as caught:
        clean_facts(CIVILIAN, {"supporting_sales": "-5", "sales_growth": "x"})
    assert set(caught.value.errors) == {
        "assessment_year",
        "has_equipment_qualification",
        "supporting_sales",
        "sales_growth",
    }


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal(200000), "20万元"),
        (Decimal(5000), "0.5万元"),
        (Decimal("12345.5"), "12345.50元"),
        (Decimal("1234500.00"), "123.45万元"),
        (Decimal(0), "0万元"),
        (Decimal("1999999"), "1999999.00元"),
        (Decimal("0.005"), "0.01元"),
        (Decimal(500), "0.05万元"),
        (Decimal(100), "0.01万元"),
        (Decimal(10000), "1万元"),
        (Decimal("2E+5"), "20万元"),
        (Decimal(1005000), "100.5万元"),
        (Decimal(1230100), "123.01万元"),
        (Decimal(-200000), "-20万元"),
        (Decimal("-0.001"), "-0.00元"),
    ],
)
def test_format_amount_wan(amount: Decimal, text: str) -> None:
    assert format_amount_wan(amount) == text


def test_rule_engine_does_not_import_django() -> None:
    import subprocess
    import sys

    code = (
        "import sys, measures.rules; "
        "sys.exit(any(m.split('.')[0] in ('django', 'rest_framework') for m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


# ---- limits of the text that need more than the typed facts (ledger-fed prior awards) ------


def _evaluate(code: str, raw: dict, **kwargs):
    rule = kwargs.pop("rule", None) or CATALOGUE.clause(code)
    facts = clean_facts(rule, base_facts(rule) | raw)
    return evaluate(rule, facts, applicant_type="enterprise", validity=VALIDITY, **kwargs)


@pytest.mark.parametrize(
    ("code", "attribute", "wording"),
    [
        ("M05-CLOUD-SERVICES", "industrial", "工业企业"),
        ("M06-5G-FUSION-DEMO", "industrial", "工业企业"),
        ("M06-PROVINCIAL-BENCHMARK", "industrial", "工业企业"),
        ("M06-DIGITAL-ECONOMY-CASE", "industrial", "工业企业"),
        ("M15-CLEAN-PRODUCTION", "industrial", "工业企业"),
        ("M18-SCALE-INDUSTRIAL", "industrial", "工业企业"),
        ("M03-GENERIC-DRUG", "local_drug_manufacturer", "本地药品生产企业"),
    ],
)
def test_required_profile_attributes(code: str, attribute: str, wording: str) -> None:
    refused = _evaluate(code, {}, profile={attribute: False})
    assert not refused.eligible
    assert refused.blocking == (f"本条款申报单位须为{wording}；申报单位信息未登记为{wording}",)
    assert _evaluate(code, {}, profile={attribute: True}).eligible
    # No organisation known (calculator by applicant type): named, not checked.
    unknown = _evaluate(code, {})
    assert (
        unknown.eligible and f"本条款申报单位须为{wording}（按申报单位信息核对）" in unknown.reasons
    )


def test_scale_library_for_software_needs_no_industrial_attribute() -> None:
    assert _evaluate("M18-SCALE-SOFTWARE-IT", {}, profile={"industrial": False}).eligible


def test_ratio_set_by_the_administrator_binds() -> None:
    from dataclasses import replace

    rule = CATALOGUE.clause("M15-CLEAN-PRODUCTION")
    set_rule = replace(rule, reward=replace(rule.reward, ratio_is_default=False))
    below = _evaluate("", {"investment": "10000000"}, rule=set_rule)
    assert (below.amount, below.amount_kind, below.ratio_pending) == (50 * W, "ceiling", False)
    above = _evaluate("", {"investment": "20000000"}, rule=set_rule)
    assert above.amount == 80 * W  # 2000万 × 5% = 100万, 不超过80万元
    pending = _evaluate("M15-CLEAN-PRODUCTION", {"investment": "10000000"})
    assert (pending.amount, pending.amount_kind, pending.ratio_pending) == (
        80 * W,
        "unspecified",
        True,
    )


def test_item_keys_ignore_order_spacing_punctuation_and_width() -> None:
    from measures.rules.items import item_key, item_keys

    assert set(item_keys("甲、乙", many=True)) == set(item_keys("乙 ，甲", many=True))
    assert item_keys("甲、 乙，丙；丁\n戊、甲", many=True) == ("甲", "乙", "丙", "丁", "戊")
    assert item_key("装〔2025〕12号") == item_key(" 装[2025]12 号") == item_key("装（2025）12号")
    assert item_key("ＡＢ－1") == item_key("ab 1")
    assert item_keys("甲、乙", many=False) == (item_key("甲、乙"),)


def _held(code: str, *, items=(), period=None, reference="SB1", amount=50000) -> PriorAward:
    return PriorAward(
        code,
        None,
        None,
        Decimal(amount),
        None,
        reference=reference,
        status="公示",
        period=period,
        items=tuple(items),
    )


def test_products_held_elsewhere_are_not_rewarded_again() -> None:
    code = "M10-FUSION-KEY-PRODUCT"
    prior = (_held(code, items=("甲", "乙")),)
    same = _evaluate(code, {"product_count": "2", "product_names": "乙、甲"}, prior_awards=prior)
    assert not same.eligible
    assert "产品名称（多个以顿号分隔）所列各项均已申报或获奖，不再重复奖励" in same.blocking
    part = _evaluate(code, {"product_count": "2", "product_names": "乙、丙"}, prior_awards=prior)
    assert (part.eligible, part.amount, part.items) == (True, 5 * W, ("丙",))
    assert "“乙”已在申报SB1（公示）中申报或获奖，本项不再奖励" in part.reasons
    other_clause = (_held("M10-ADVANCED-TECH-CATALOGUE", items=("甲", "乙")),)
    both = _evaluate(
        code, {"product_count": "2", "product_names": "甲、乙"}, prior_awards=other_clause
    )
    assert both.amount == 10 * W  # another list, another reward


def test_declared_count_must_match_the_listed_products() -> None:
    result = _evaluate(
        "M14-GREEN-DESIGN-PRODUCT",
        {"level": "national", "product_count": "3", "product_names": "甲、乙、甲"},
    )
    assert not result.eligible
    assert (
        "本次申报绿色设计产品种数（3）与产品名称（多个以顿号分隔）所列的2项不一致"
        in (result.blocking[0])
    )


def test_supplier_reward_once_per_assessment_year_pure() -> None:
    code = "M10-CIVILIAN-SUPPLIER"
    facts = {"supporting_sales": "12000000", "sales_growth": "8"}
    prior = (_held(code, period="2024", amount=300000),)
    same = _evaluate(code, {**facts, "assessment_year": "2024"}, prior_awards=prior)
    assert same.blocking == (
        "本条款每个考核年度奖励一次，考核年度2024已在申报SB1（公示）中申报或获奖，不再重复奖励",
    )
    other = _evaluate(code, {**facts, "assessment_year": "2025"}, prior_awards=prior)
    assert (other.eligible, other.amount, other.period) == (True, 30 * W, "2025")
    with pytest.raises(FactsError):  # 2023 is outside what the policy can assess
        clean_facts(CATALOGUE.clause(code), {**facts, "assessment_year": "2023"})


def test_cap_names_the_applications_holding_it() -> None:
    prior = (
        PriorAward(
            "M14-GREEN-DESIGN-PRODUCT",
            "M14-GREEN-DESIGN-NATIONAL",
            "national",
            Decimal(200000),
            reference="SB1",
            status="县区初审",
            items=("甲",),
        ),
    )
    result = _evaluate(
        "M14-GREEN-DESIGN-PRODUCT",
        {"level": "national", "product_count": "3", "product_names": "乙、丙、丁"},
        prior_awards=prior,
    )
    assert result.amount == 10 * W and result.cap == 30 * W
    assert "累计上限30万元，已占用20万元（SB1（县区初审）20万元），本次最多10万元" in result.reasons


def test_facts_not_cleaned_still_give_every_reason() -> None:
    """`evaluate` is public: a caller may pass facts that lack a required fact, or an applicant
    type the catalogue does not know. Each is named, and blocks, like any other failed check."""
    no_level = evaluate(
        SME,
        {"recognised_on": date(2025, 8, 1), "certificate_no": "工信厅-1"},
        applicant_type="enterprise",
        validity=VALIDITY,
    )
    assert no_level.blocking == ("未知的等级：None，可选：国家级、省级",)
    assert (no_level.eligible, no_level.tier, no_level.items) == (False, None, ())
    no_date = evaluate(
        SME,
        {"level": "national", "certificate_no": "工信厅-1"},
        applicant_type="个体户",
        validity=VALIDITY,
    )
    assert no_date.reasons == (
        "本条款申报主体为：企业；当前为：个体户",
        "未填写认定日期，无法确认是否在政策有效期内",
        "此前未获同类奖励，符合首次认定（新认定/新取得/新培育/每户一次）要求",
        "国家级专精特新“小巨人”，奖励上限20万元",
    )
    assert no_date.blocking == no_date.reasons[:2]
    assert (no_date.amount, no_date.tier) == (None, "national")


def test_refused_and_eligible_evaluations_carry_the_item_only_when_eligible() -> None:
    """A refusal returns no items (nothing is reserved); the same facts from an enterprise
    return the certificate's key, with or without unrelated earlier awards."""
    facts = {"level": "national", "recognised_on": "2025-08-01", "certificate_no": "工信厅 1号"}
    unrelated = (award("M10-EQUIPMENT-FILING", 100000, basis="备案-1"),)
    for prior in ((), unrelated):
        refused = evaluate(
            SME,
            clean_facts(SME, facts),
            applicant_type="park",
            prior_awards=prior,
            validity=VALIDITY,
        )
        assert (refused.eligible, refused.items) == (False, ())
        eligible = _evaluate("M02-SPECIALISED-SME", facts, prior_awards=prior)
        assert (eligible.eligible, eligible.amount, eligible.items) == (
            True,
            20 * W,
            ("工信厅1号",),
        )


@pytest.mark.parametrize("typed", ["1.5e3", "1E7", "2e-1"])
def test_numbers_in_exponent_notation_are_refused_not_read(typed) -> None:
    """Decimal reads "1.5e3" as 1500; a person typing a sales figure never means that."""
    with pytest.raises(FactsError) as caught:
        clean_facts(CIVILIAN, CIVILIAN_OK | {"supporting_sales": typed})
    assert "不是有效数字" in caught.value.errors["supporting_sales"]

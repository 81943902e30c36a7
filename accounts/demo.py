"""Demo accounts and organisations (idempotent); used by seed_demo and the browser tests."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from django.db import transaction

from .models import (
    ADMIN_SITE_ROLES,
    Department,
    Membership,
    Organisation,
    Place,
    Role,
    RoleAssignment,
    User,
)
from .twofactor import demo_device_ensure, totp_base32

DEMO_PASSWORD = "Xianyang-demo-2025"  # noqa: S105 - printed for local demos only


@dataclass(frozen=True)
class DemoOrg:
    uscc: str
    name: str
    kind: str
    place_code: str
    industry: str
    username: str
    industrial: bool = False
    local_drug_manufacturer: bool = False


DEMO_ORGS = (
    DemoOrg(
        "91610400MA6T0XY00U",
        "咸阳秦都精密制造有限公司",
        "enterprise",
        "qindu",
        "装备制造",
        "qindu_corp",
        industrial=True,
    ),
    DemoOrg(
        "91610400MA6T0XY01Y",
        "咸阳渭城新材料科技有限公司",
        "enterprise",
        "weicheng",
        "新材料",
        "weicheng_corp",
        industrial=True,
    ),
    DemoOrg(
        "91610400MA6T0XY022",
        "兴平市现代医药股份有限公司",
        "enterprise",
        "xingping",
        "现代医药",
        "xingping_corp",
        industrial=True,
        local_drug_manufacturer=True,
    ),
    DemoOrg("11610400MB2950001F", "咸阳高新区管委会", "park", "xy-hitech", "园区", "hitech_park"),
    DemoOrg("11610400MB2950002J", "三原县人民政府", "county", "sanyuan", "政府", "sanyuan_gov"),
)

DEMO_STAFF = (
    ("county_qindu", "秦都区工信局 张审核", Role.COUNTY_REVIEWER, "qindu", None),
    ("county_weicheng", "渭城区工信局 李审核", Role.COUNTY_REVIEWER, "weicheng", None),
    ("county_hitech", "高新区经发局 赵审核", Role.COUNTY_REVIEWER, "xy-hitech", None),
    ("dept_miit", "市工信局 王复审", Role.DEPARTMENT_REVIEWER, None, "miit"),
    ("dept_sci", "市科技局 陈复审", Role.DEPARTMENT_REVIEWER, None, "sci"),
    ("approver", "市工信局 刘审定", Role.APPROVER, None, None),
    ("finance", "市财政局 孙拨付", Role.FINANCE, None, None),
    ("policy_admin", "市工信局政策科 周管理", Role.POLICY_ADMIN, None, None),
    ("auditor", "市审计局 吴审计", Role.AUDITOR, None, None),
    ("security_admin", "市工信局信息中心 郑安全", Role.SECURITY_ADMIN, None, None),
)


def _user(username: str, full_name: str, *, is_staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "full_name": full_name,
            "email": f"{username}@demo.xianyang.local",
            "is_staff": is_staff,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def seed_accounts() -> list[tuple[str, str]]:
    """Create the demo users and organisations; returns (username, role label) pairs."""
    accounts: list[tuple[str, str]] = []
    for org in DEMO_ORGS:
        organisation, _ = Organisation.objects.get_or_create(
            uscc=org.uscc,
            defaults={
                "legal_name": org.name,
                "kind": org.kind,
                "place": Place.objects.get(code=org.place_code),
                "industry": org.industry,
                "is_industrial": org.industrial,
                "is_local_drug_manufacturer": org.local_drug_manufacturer,
                "contact_name": "联系人",
                "contact_phone": "029-33000000",
                "contact_email": f"{org.username}@demo.xianyang.local",
                "payee_name": org.name,
                "bank_name": "中国工商银行咸阳分行",
                "bank_account": f"6222024100{zlib.crc32(org.uscc.encode()) % 10**9:09d}",
            },
        )
        user = _user(org.username, f"{org.name} 申报员")
        Membership.objects.get_or_create(user=user, organisation=organisation)
        accounts.append((org.username, f"企业用户 · {org.name}"))
    for username, full_name, role, place_code, department_code in DEMO_STAFF:
        user = _user(username, full_name, is_staff=role in ADMIN_SITE_ROLES)
        RoleAssignment.objects.get_or_create(
            user=user,
            role=role,
            place=Place.objects.get(code=place_code) if place_code else None,
            department=Department.objects.get(code=department_code) if department_code else None,
        )
        # Demo staff come enrolled, with a secret fixed across runs (printed by seed_demo).
        device = demo_device_ensure(user)
        accounts.append(
            (username, f"{Role(role).label} · {full_name}  TOTP: {totp_base32(device)}")
        )
    return accounts

"""Navigation per role: one table, read by the base layout."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Role
from .selectors import Scopes

ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    audiences: frozenset[str]


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem(_("工作台"), "accounts:home", frozenset({ENTERPRISE, *Role.values})),
    NavItem(_("政策计算器"), "applications:calculator", frozenset({ENTERPRISE})),
    NavItem(_("我的申报"), "applications:dashboard", frozenset({ENTERPRISE})),
    NavItem(_("单位信息"), "accounts:organisation_profile", frozenset({ENTERPRISE})),
    NavItem(_("资质档案"), "integrations:profile", frozenset({ENTERPRISE})),
    NavItem(
        _("审核队列"),
        "reviews:queue",
        frozenset({Role.COUNTY_REVIEWER, Role.DEPARTMENT_REVIEWER, Role.APPROVER, Role.AUDITOR}),
    ),
    NavItem(_("公示管理"), "reviews:notice_list", frozenset({Role.APPROVER})),
    NavItem(
        _("核定通知书"),
        "reviews:letters",
        frozenset({Role.COUNTY_REVIEWER, Role.DEPARTMENT_REVIEWER, Role.APPROVER, Role.AUDITOR}),
    ),
    NavItem(
        _("预算执行"),
        "measures:budgets",
        frozenset({Role.POLICY_ADMIN, Role.APPROVER, Role.FINANCE, Role.AUDITOR}),
    ),
    NavItem(_("拨付批次"), "payments:batch_list", frozenset({Role.FINANCE, Role.AUDITOR})),
    NavItem(
        _("数据看板"),
        "payments:dashboard",
        frozenset({Role.FINANCE, Role.POLICY_ADMIN, Role.APPROVER, Role.AUDITOR}),
    ),
    NavItem(_("审计日志"), "reviews:audit_log", frozenset({Role.AUDITOR})),
    NavItem(_("账户管理"), "accounts:staff_list", frozenset({Role.SECURITY_ADMIN, Role.AUDITOR})),
    NavItem(_("免申即享名单"), "integrations:recognition_lists", frozenset({Role.POLICY_ADMIN})),
    NavItem(_("规则配置"), "admin:index", frozenset({Role.POLICY_ADMIN, Role.SECURITY_ADMIN})),
    NavItem(_("对接账号"), "integrations:service_accounts", frozenset({Role.SECURITY_ADMIN})),
    NavItem(_("运行监控"), "operations:index", frozenset({Role.POLICY_ADMIN, Role.SECURITY_ADMIN})),
)


# The items depend on the audiences, the language and the URL prefix only: built once per
# process for each combination (every page's layout asks; ~10 reverse() calls a page).
_BUILT: dict[tuple, tuple[dict[str, str], ...]] = {}


def nav_for(scopes: Scopes) -> tuple[dict[str, str], ...]:
    audiences = set(scopes.roles)
    if scopes.is_enterprise:
        audiences.add(ENTERPRISE)
    key = (frozenset(audiences), get_language(), get_script_prefix())
    items = _BUILT.get(key)
    if items is None:
        items = tuple(
            {"label": str(item.label), "url": reverse(item.url_name), "name": item.url_name}
            for item in NAV_ITEMS
            if audiences & item.audiences
        )
        _BUILT[key] = items
    return items

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import mask_account, mask_phone
from core.fields import EncryptedCharField


class User(AbstractUser):
    """Custom user from the first migration; roles live in RoleAssignment."""

    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = EncryptedCharField(_("手机号"), max_length=20, blank=True)
    password_changed_at = models.DateTimeField(_("密码最近修改"), null=True, blank=True)
    # A password someone else chose (the security administrator's initial one): the account
    # changes it at its first sign-in (等保: 初始口令首次登录须修改) before anything else.
    password_must_change = models.BooleanField(_("须修改初始密码"), default=False)
    # The session of the latest staff login; an older one is ended when a new login starts.
    last_session_key = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    def set_password(self, raw_password: str | None) -> None:
        # The time stamp drives staff password expiry and ends tokens issued before it.
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()
        self.password_must_change = False  # the caller that sets an initial one says so after


class Place(models.Model):
    """A county, district, county-level city or development zone of Xianyang."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("区")
        CITY = "city", _("县级市")
        COUNTY = "county", _("县")
        PARK = "park", _("园区")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("县市区/园区")
        verbose_name_plural = _("县市区/园区")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        PARK = "park", _("园区/双创基地运营主体")
        COUNTY = "county", _("县市区政府")
        INVESTMENT_PROMOTER = "investment_promoter", _("招引主体")

    class Scale(models.TextChoices):
        """企业规模 per 《统计上大中小微型企业划分办法（2017）》 (国统字〔2017〕213号)."""

        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")
        SMALL = "small", _("小型")
        MICRO = "micro", _("微型")

    legal_name = models.CharField(_("单位名称"), max_length=120)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    uscc_check_overridden = models.BooleanField(_("校验位已人工确认"), default=False)
    uscc_override_reason = models.TextField(_("人工确认理由"), blank=True)
    kind = models.CharField(
        _("主体类型"), max_length=20, choices=Kind.choices, default=Kind.ENTERPRISE
    )
    place = models.ForeignKey(
        Place, verbose_name=_("所属县市区/园区"), on_delete=models.PROTECT, related_name="+"
    )
    industry = models.CharField(_("所属行业"), max_length=60, blank=True)
    scale = models.CharField(
        _("企业规模"),
        max_length=10,
        choices=Scale.choices,
        blank=True,
        help_text=_(
            "按《统计上大中小微型企业划分办法（2017）》以从业人员、营业收入等指标划分；"
            "申报含“企业规模”事项的条款时自动填入。"
        ),
    )
    # Attributes some clauses require (measures.rules.PROFILE_ATTRIBUTES), checked by the engine.
    is_industrial = models.BooleanField(
        _("工业企业"),
        default=False,
        help_text=_("从事工业生产的企业（措施5云服务、6、15、18等条款要求“工业企业”“工业类”）。"),
    )
    is_local_drug_manufacturer = models.BooleanField(
        _("本地药品生产企业"),
        default=False,
        help_text=_("在本市持有药品生产许可证的药品生产企业（措施3仿制药一致性评价奖励要求）。"),
    )
    contact_name = models.CharField(_("联系人"), max_length=60)
    contact_phone = EncryptedCharField(_("联系电话"), max_length=20)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    payee_name = models.CharField(_("收款户名"), max_length=120, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=120, blank=True)
    bank_account = EncryptedCharField(_("银行账号"), max_length=40, blank=True)
    bank_account_updated_at = models.DateTimeField(_("银行账户最近变更"), null=True, blank=True)
    members = models.ManyToManyField(
        "User", through="Membership", related_name="organisations", verbose_name=_("成员")
    )
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申报主体")
        verbose_name_plural = _("申报主体")
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(uscc_check_overridden=True) | ~Q(uscc_override_reason=""),
                name="organisation_override_needs_reason",
            )
        ]

    def __str__(self) -> str:
        return self.legal_name

    def profile_facts(self) -> dict[str, bool]:
        """The attributes clauses may require, keyed as in measures.rules.PROFILE_ATTRIBUTES."""
        return {
            "industrial": self.is_industrial,
            "local_drug_manufacturer": self.is_local_drug_manufacturer,
        }

    @property
    def bank_account_masked(self) -> str:
        return mask_account(self.bank_account)

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("组织成员")
        verbose_name_plural = _("组织成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class Role(models.TextChoices):
    COUNTY_REVIEWER = "county_reviewer", _("县区初审")
    DEPARTMENT_REVIEWER = "department_reviewer", _("市级复审")
    APPROVER = "approver", _("审定")
    FINANCE = "finance", _("财政拨付")
    POLICY_ADMIN = "policy_admin", _("政策管理员")
    AUDITOR = "auditor", _("审计（只读）")
    SECURITY_ADMIN = "security_admin", _("安全管理员")


# 三员分立: no account holds two of the three administrator roles.
SEPARATED_ADMIN_ROLES = frozenset({Role.SECURITY_ADMIN, Role.POLICY_ADMIN, Role.AUDITOR})
# A reviewer never pays, and a payer never reviews.
REVIEW_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.DEPARTMENT_REVIEWER, Role.APPROVER})
# Roles that work in the Django admin (it needs is_staff).
ADMIN_SITE_ROLES = frozenset({Role.SECURITY_ADMIN, Role.POLICY_ADMIN})


class RoleAssignment(models.Model):
    """A staff role with its scope: a place for county reviewers, a department for departments."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    place = models.ForeignKey(
        Place, verbose_name=_("县市区/园区"), null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="county_reviewer") | Q(place__isnull=False),
                name="county_reviewer_has_place",
            ),
            models.CheckConstraint(
                condition=~Q(role="department_reviewer") | Q(department__isnull=False),
                name="department_reviewer_has_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "place", "department"],
                name="role_assignment_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        scope = self.place or self.department or ""
        return f"{self.get_role_display()} {scope}".strip()


class AddressNotice(models.Model):
    """An email to an address that is no longer the account's: the old address after the
    security administrator changed it, so the owner hears of it even if the new address is
    someone else's. Written with the change, sent once by its outbox consumer."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    to = models.EmailField(_("收件地址"))
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账户变更告知邮件")
        verbose_name_plural = _("账户变更告知邮件")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class Notification(models.Model):
    """A message to a user: shown in the portal, delivered by email from a Celery task."""

    # Indexed through notification_user_unread, which leads with it.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    # Reminders carry a key (e.g. "correction-due:12:2025-10-20") so a periodic run sends
    # each one once per user.
    key = models.CharField(_("提醒标识"), max_length=120, blank=True, default="")

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_key_once"
            )
        ]

    def __str__(self) -> str:
        return self.subject

"""Every write to users and organisations goes through here."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from xianyang_portal.errors import DomainError, NotAllowed

from .models import Department, Membership, Organisation, Place, Role, RoleAssignment, User
from .selectors import user_scopes
from .uscc import USCCChecksumError, validate_uscc

BANK_FIELDS = ("payee_name", "bank_name", "bank_account")


def organisation_check_uscc(
    *, uscc: str, override_reason: str = "", actor: User | None = None
) -> tuple[str, bool]:
    """Validate a code; a failing check character passes only with a policy admin's reason.

    Returns the code and whether the check was overridden.
    """
    try:
        return validate_uscc(uscc), False
    except USCCChecksumError as exc:
        if not override_reason.strip():
            raise
        if actor is None or not user_scopes(actor).has(Role.POLICY_ADMIN):
            raise NotAllowed(_("只有政策管理员可以人工确认校验位不符的统一社会信用代码。")) from exc
        return uscc.strip(), True


def _ensure_unique_uscc(uscc: str) -> None:
    if Organisation.objects.filter(uscc=uscc).exists():
        raise ValidationError(
            {"uscc": _("统一社会信用代码 %(code)s 已注册，请勿重复注册。") % {"code": uscc}},
            code="uscc_taken",
        )


@transaction.atomic
def organisation_register(
    *,
    uscc: str,
    legal_name: str,
    kind: str,
    place: Place,
    industry: str,
    contact_name: str,
    contact_phone: str,
    contact_email: str,
    username: str,
    password: str,
    full_name: str,
) -> tuple[Organisation, User]:
    """Enterprise self-registration: the organisation and its first user."""
    code, _overridden = organisation_check_uscc(uscc=uscc)
    _ensure_unique_uscc(code)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("用户名已被使用。")}, code="username_taken")
    user = User(username=username, email=contact_email, full_name=full_name, phone=contact_phone)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                uscc=code,
                legal_name=legal_name.strip(),
                kind=kind,
                place=place,
                industry=industry,
                contact_name=contact_name,
                contact_phone=contact_phone,
                contact_email=contact_email,
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ValidationError({"uscc": _("该统一社会信用代码已注册。")}) from exc
    Membership.objects.create(user=user, organisation=organisation)
    audit_record(actor=user, obj=organisation, action="organisation.register", after={"uscc": code})
    return organisation, user


@transaction.atomic
def organisation_create_by_admin(
    *, actor: User, uscc: str, override_reason: str = "", **fields: object
) -> Organisation:
    """Staff-created organisation; the only path for codes whose check character fails."""
    if not user_scopes(actor).has(Role.POLICY_ADMIN):
        raise NotAllowed(_("只有政策管理员可以创建申报主体。"))
    code, overridden = organisation_check_uscc(
        uscc=uscc, override_reason=override_reason, actor=actor
    )
    _ensure_unique_uscc(code)
    organisation = Organisation.objects.create(
        uscc=code,
        uscc_check_overridden=overridden,
        uscc_override_reason=override_reason.strip() if overridden else "",
        **fields,
    )
    audit_record(
        actor=actor,
        obj=organisation,
        action="organisation.uscc_override" if overridden else "organisation.create",
        after={"uscc": code},
        comment=override_reason if overridden else "",
    )
    return organisation


@transaction.atomic
def organisation_update_profile(
    *, actor: User, organisation: Organisation, data: dict[str, str]
) -> Organisation:
    """Profile and bank account edits; bank changes are audited and time-stamped."""
    if organisation.pk not in user_scopes(actor).organisation_ids:
        raise NotAllowed(_("您不是该单位的成员。"))
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = {field: getattr(locked, field) for field in data}
    changed = [field for field, value in data.items() if getattr(locked, field) != value]
    if not changed:
        return locked
    for field in changed:
        setattr(locked, field, data[field])
    update_fields = list(changed)
    if any(field in BANK_FIELDS for field in changed):
        locked.bank_account_updated_at = timezone.now()
        update_fields.append("bank_account_updated_at")
    locked.save(update_fields=update_fields)
    audit_record(
        actor=actor,
        obj=locked,
        action="organisation.bank_account_change"
        if any(field in BANK_FIELDS for field in changed)
        else "organisation.update",
        before={field: before[field] for field in changed},
        after={field: data[field] for field in changed},
    )
    return locked


@transaction.atomic
def staff_user_create(
    *,
    actor: User,
    username: str,
    full_name: str,
    email: str,
    password: str,
    role: str,
    place: Place | None = None,
    department: Department | None = None,
) -> User:
    if not user_scopes(actor).has(Role.POLICY_ADMIN):
        raise NotAllowed(_("只有政策管理员可以创建工作人员账户。"))
    if role == Role.COUNTY_REVIEWER and place is None:
        raise ValidationError({"place": _("县区初审账户必须指定县市区或园区。")})
    if role == Role.DEPARTMENT_REVIEWER and department is None:
        raise ValidationError({"department": _("市级复审账户必须指定部门。")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("用户名已被使用。")})
    user = User(username=username, full_name=full_name, email=email)
    # Policy administrators maintain rules in the Django admin.
    user.is_staff = role == Role.POLICY_ADMIN
    validate_password(password, user)
    user.set_password(password)
    user.save()
    RoleAssignment.objects.create(
        user=user,
        role=role,
        place=place if role == Role.COUNTY_REVIEWER else None,
        department=department if role == Role.DEPARTMENT_REVIEWER else None,
    )
    audit_record(actor=actor, obj=user, action="user.create", after={"role": role})
    return user


def domain_error_from_validation(exc: ValidationError) -> DomainError:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return DomainError(exc.messages[0], code="invalid", detail=detail)


def notifications_mark_read(*, actor: User, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's own messages read (all unread ones when no ids are given)."""
    from .selectors import notifications_visible_to

    unread = notifications_visible_to(user=actor).filter(read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())

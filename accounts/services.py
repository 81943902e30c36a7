"""Every write to users and organisations goes through here."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_security_event
from core.errors import DomainError, NotAllowed
from outbox.services import outbox_enqueue

from .models import (
    ADMIN_SITE_ROLES,
    REVIEW_ROLES,
    SEPARATED_ADMIN_ROLES,
    AddressNotice,
    Department,
    Membership,
    Organisation,
    Place,
    Role,
    RoleAssignment,
    User,
)
from .notifications import ADDRESS_NOTICE_KIND, notify
from .selectors import user_scopes
from .uscc import USCCChecksumError, validate_uscc

BANK_FIELDS = ("payee_name", "bank_name", "bank_account")
# What the security administrator may edit on an account; privileges move only by role_assign.
USER_ADMIN_FIELDS = frozenset({"full_name", "email", "phone", "is_active"})


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


def _organisation_apply_changes(
    *, actor: User, organisation_id: int, data: dict[str, str]
) -> Organisation:
    """The one write of organisation details: bank changes are audited and time-stamped.

    The time stamp is what the payment batch build compares with the approval time, so a
    bank change after approval is flagged whichever screen made it.
    """
    locked = Organisation.objects.select_for_update().get(pk=organisation_id)
    before = {field: getattr(locked, field) for field in data}
    changed = [field for field, value in data.items() if getattr(locked, field) != value]
    if not changed:
        return locked
    for field in changed:
        setattr(locked, field, data[field])
    update_fields = list(changed)
    bank_changed = any(field in BANK_FIELDS for field in changed)
    if bank_changed:
        locked.bank_account_updated_at = timezone.now()
        update_fields.append("bank_account_updated_at")
    locked.save(update_fields=update_fields)
    if "place" in changed:
        _organisation_place_moved(locked)
    audit_record(
        actor=actor,
        obj=locked,
        action="organisation.bank_account_change" if bank_changed else "organisation.update",
        before={field: before[field] for field in changed},
        after={field: data[field] for field in changed},
    )
    return locked


# Apps above accounts that keep a copy of an organisation's place (applications: each case's
# place, the county queues' scope, and its summary cells) register an observer at start-up;
# it runs in the edit's transaction, so the copies never disagree with the organisation.
PlaceObserver = Callable[[Organisation], None]
_place_observers: list[PlaceObserver] = []


def observe_organisation_place(observer: PlaceObserver) -> PlaceObserver:
    if observer not in _place_observers:
        _place_observers.append(observer)
    return observer


def _organisation_place_moved(organisation: Organisation) -> None:
    for observer in _place_observers:
        observer(organisation)


@transaction.atomic
def organisation_update_profile(
    *, actor: User, organisation: Organisation, data: dict[str, str]
) -> Organisation:
    """Profile and bank account edits by a member of the organisation."""
    if organisation.pk not in user_scopes(actor).organisation_ids:
        raise NotAllowed(_("您不是该单位的成员。"))
    return _organisation_apply_changes(actor=actor, organisation_id=organisation.pk, data=data)


@transaction.atomic
def organisation_update_by_admin(
    *, actor: User, organisation: Organisation, data: dict[str, str]
) -> Organisation:
    """The Django admin's organisation edit: the same write as the profile page."""
    if not user_scopes(actor).has(Role.POLICY_ADMIN):
        raise NotAllowed(_("只有政策管理员可以修改申报主体信息。"))
    return _organisation_apply_changes(actor=actor, organisation_id=organisation.pk, data=data)


def _require_security_admin(actor: User, *, attempted: str, target: models.Model) -> None:
    """Refuse (and record the refused attempt in its own transaction) unless a security admin."""
    if user_scopes(actor).has(Role.SECURITY_ADMIN):
        return
    security_refusal_record(actor=actor, target=target, attempted=attempted)
    raise NotAllowed(_("只有安全管理员可以管理账户、角色和两步验证。"), code="security_admin_only")


def security_refusal_record(*, actor: User, target: models.Model, attempted: str) -> None:
    """Record a refused privileged attempt; it survives the rollback of the refused request."""
    # Services check before they open their transaction, so this row is not rolled back with
    # the refusal; the admin checks before entering its own atomic block for the same reason.
    audit_record(
        actor=actor,
        obj=target,
        action="security.refused",
        after={"attempted": attempted},
        comment=_("越权操作已拒绝"),
    )


def role_conflict(*, held: set[str], role: str) -> str | None:
    """Why a user holding `held` may not also take `role` (三员分立, reviewer ≠ payer)."""
    if role in SEPARATED_ADMIN_ROLES and held & (SEPARATED_ADMIN_ROLES - {role}):
        other = Role(next(iter(sorted(held & (SEPARATED_ADMIN_ROLES - {role}))))).label
        return _("三员分立：该账户已是“%(other)s”，不能再担任“%(role)s”。") % {
            "other": other,
            "role": Role(role).label,
        }
    if role in SEPARATED_ADMIN_ROLES and held - {role}:
        return _("三员分立：“%(role)s”不能与业务角色兼任。") % {"role": Role(role).label}
    if held & SEPARATED_ADMIN_ROLES and role not in SEPARATED_ADMIN_ROLES:
        return _("三员分立：管理员账户不能兼任业务角色。")
    if (role in REVIEW_ROLES and Role.FINANCE in held) or (
        role == Role.FINANCE and held & REVIEW_ROLES
    ):
        return _("审核角色与财政拨付角色不能由同一账户兼任。")
    return None


def _refuse_own_roles(*, actor: User, user: User, attempted: str) -> None:
    if actor.pk == user.pk:
        security_refusal_record(actor=actor, target=user, attempted=attempted)
        raise NotAllowed(_("不能修改自己的角色。"), code="own_roles")


def _sync_admin_site_flag(user: User) -> None:
    roles = set(user.role_assignments.values_list("role", flat=True))
    is_staff = bool(roles & ADMIN_SITE_ROLES)
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_portal_scopes", None)


def role_assign(
    *,
    actor: User,
    user: User,
    role: str,
    place: Place | None = None,
    department: Department | None = None,
) -> RoleAssignment:
    """Grant a role with its scope; only a security administrator, never to themselves."""
    _require_security_admin(actor, attempted=f"role_assign:{role}", target=user)
    _refuse_own_roles(actor=actor, user=user, attempted=f"role_assign:{role}")
    with transaction.atomic():
        if role not in Role.values:
            raise ValidationError({"role": _("未知角色。")})
        if role == Role.COUNTY_REVIEWER and place is None:
            raise ValidationError({"place": _("县区初审账户必须指定县市区或园区。")})
        if role == Role.DEPARTMENT_REVIEWER and department is None:
            raise ValidationError({"department": _("市级复审账户必须指定部门。")})
        User.objects.select_for_update().filter(pk=user.pk).first()
        held = set(user.role_assignments.values_list("role", flat=True))
        conflict = role_conflict(held=held, role=role)
        if conflict:
            raise DomainError(conflict, code="role_conflict", detail={"role": role})
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user,
            role=role,
            place=place if role == Role.COUNTY_REVIEWER else None,
            department=department if role == Role.DEPARTMENT_REVIEWER else None,
        )
        if created:
            audit_record(
                actor=actor,
                obj=user,
                action="user.role_assign",
                after={"role": role, "scope": str(assignment.place or assignment.department or "")},
            )
        _sync_admin_site_flag(user)
        return assignment


def role_remove(*, actor: User, assignment: RoleAssignment) -> None:
    _require_security_admin(
        actor, attempted=f"role_remove:{assignment.role}", target=assignment.user
    )
    _refuse_own_roles(actor=actor, user=assignment.user, attempted=f"role_remove:{assignment.role}")
    with transaction.atomic():
        user = assignment.user
        audit_record(
            actor=actor,
            obj=user,
            action="user.role_remove",
            before={
                "role": assignment.role,
                "scope": str(assignment.place or assignment.department or ""),
            },
        )
        assignment.delete()
        _sync_admin_site_flag(user)


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
    _require_security_admin(actor, attempted="user_create", target=actor)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("用户名已被使用。")})
        user = User(username=username, full_name=full_name, email=email)
        validate_password(password, user)
        user.set_password(password)
        user.password_must_change = True  # chosen by the administrator: changed at first use
        user.save()
        audit_record(actor=actor, obj=user, action="user.create", after={"role": role})
        role_assign(actor=actor, user=user, role=role, place=place, department=department)
        return user


def user_update_by_admin(*, actor: User, user: User, data: dict[str, object]) -> User:
    """Name, e-mail, phone and active flag; nothing that grants a privilege."""
    _require_security_admin(actor, attempted="user_update", target=user)
    if set(data) - USER_ADMIN_FIELDS:
        security_refusal_record(
            actor=actor,
            target=user,
            attempted="user_update:" + ",".join(sorted(set(data) - USER_ADMIN_FIELDS)),
        )
        raise NotAllowed(_("只能修改姓名、邮箱、手机号和启用状态。"))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        changed = {k: v for k, v in data.items() if getattr(locked, k) != v}
        if not changed:
            return locked
        before = {k: getattr(locked, k) for k in changed}
        for key, value in changed.items():
            setattr(locked, key, value)
        locked.save(update_fields=list(changed))
        audit_record(actor=actor, obj=locked, action="user.update", before=before, after=changed)
        if "email" in changed:
            _email_change_notify(user=locked, old_email=before["email"])
        return locked


def _email_change_notify(*, user: User, old_email: str) -> None:
    """Tell the account's owner, in the portal (and so at the new address) and at the old
    address: password resets now go to the new one, so a change the owner did not ask for
    must not pass unnoticed."""
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    subject = _("账户邮箱已变更")
    body = _(
        "您的账户 %(username)s 的邮箱已于 %(when)s 由平台安全管理员修改。此后的通知和密码重置"
        "邮件将发往新的邮箱。如非您本人申请，请立即联系咸阳市工业和信息化局。"
    ) % {"username": user.get_username(), "when": when}
    notify(users=[user], subject=subject, body=body)
    if old_email:
        notice = AddressNotice.objects.create(user=user, to=old_email, subject=subject, body=body)
        outbox_enqueue(kind=ADDRESS_NOTICE_KIND, payload={"notice_id": notice.pk})


def user_otp_reset(*, actor: User, user: User) -> None:
    """Remove every second-factor device; the user enrols again at the next login."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _require_security_admin(actor, attempted="otp_reset", target=user)
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        audit_record(actor=actor, obj=user, action="security.otp_reset", after={"removed": removed})


def user_unlock(*, actor: User, user: User) -> None:
    """Lift a login lockout of the account (every address)."""
    from axes.utils import reset

    _require_security_admin(actor, attempted="unlock", target=user)
    with transaction.atomic():
        count = reset(username=user.username)
        audit_record(actor=actor, obj=user, action="security.unlock", after={"attempts": count})


@transaction.atomic
def user_password_change(*, actor: User, new_password: str) -> None:
    """A validated new password: every session (auth hash) and every API token ends."""
    from .tokens import tokens_revoke

    locked = User.objects.select_for_update().get(pk=actor.pk)
    validate_password(new_password, locked)
    locked.set_password(new_password)
    locked.save(update_fields=["password", "password_changed_at", "password_must_change"])
    revoked = tokens_revoke(user=locked)
    audit_record(
        actor=actor,
        obj=locked,
        action="security.password_change",
        after={"tokens_revoked": revoked},
    )


def breakglass_superuser_create(*, username: str, email: str, password: str, reason: str) -> User:
    """The only way to a superuser (management command, for emergencies); always audited."""
    if not reason.strip():
        raise DomainError(_("必须填写紧急授权的理由。"), code="reason_required")
    with transaction.atomic():
        user = User.objects.filter(username=username).first() or User(
            username=username, email=email
        )
        validate_password(password, user)
        user.set_password(password)
        user.is_superuser = True
        user.is_staff = True
        user.save()
        audit_record(
            actor=None,
            obj=user,
            action="security.breakglass_superuser",
            after={"username": username},
            comment=reason.strip(),
        )
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


def password_reset_requested(*, request, users: list[User]) -> None:
    """A reset link was asked for (and mailed to each matching account): audited per account,
    or once when no account matched (the page says the same either way)."""
    if not users:
        audit_security_event(
            actor=None,
            action="security.password_reset_request",
            request=request,
            target_label="(no account)",
        )
    for user in users:
        audit_security_event(
            actor=None, action="security.password_reset_request", request=request, target=user
        )


def password_reset_completed(*, request, user: User) -> None:
    audit_security_event(actor=user, action="security.password_reset", request=request)

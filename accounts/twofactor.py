"""Second factor (django-otp TOTP plus backup codes): who needs it and how it is checked."""

from __future__ import annotations

import binascii
import hashlib
import hmac
from base64 import b32encode

from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record

from .models import User
from .selectors import user_scopes

BACKUP_CODE_COUNT = 10
# Only for demo data: a fixed salt makes each demo account's secret the same on every run.
DEMO_TOTP_SALT = b"xianyang-portal-demo-totp-2025"


def is_staff_account(user: User) -> bool:
    """Every bureau role, and any account that may enter the admin, must use a second factor."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or user.is_superuser or user_scopes(user).is_staff_user


def has_second_factor(user: User) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def second_factor_match(*, user: User, token: str):
    """The confirmed device (TOTP or a backup code, used once) that accepts the token, or None."""
    token = (token or "").replace(" ", "").strip()
    if not token:
        return None
    return match_token(user, token)


def totp_base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def demo_totp_key(username: str) -> str:
    """The hex TOTP key of a demo account (HMAC-SHA1 of the name under the fixed demo salt)."""
    return hmac.new(DEMO_TOTP_SALT, username.encode(), hashlib.sha1).hexdigest()


def demo_device_ensure(user: User) -> TOTPDevice:
    device, _created = TOTPDevice.objects.update_or_create(
        user=user, name="demo", defaults={"key": demo_totp_key(user.username), "confirmed": True}
    )
    return device


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (a new random secret each time one is started)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def enrolment_confirm(*, actor: User, device_id: int, token: str) -> list[str] | None:
    """Confirm the enrolling device with its current code; returns new backup codes."""
    device = TOTPDevice.objects.select_for_update().get(pk=device_id, user=actor, confirmed=False)
    if not device.verify_token((token or "").replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_replace(user=actor)
    audit_record(actor=actor, obj=actor, action="security.otp_enrol", after={"device": device.name})
    return codes


def backup_codes_replace(*, user: User) -> list[str]:
    static, _created = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def key_is_hex(key: str) -> bool:
    try:
        binascii.unhexlify(key)
    except (binascii.Error, ValueError):
        return False
    return True

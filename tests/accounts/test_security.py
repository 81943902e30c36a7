"""Issue 11 §1–§5: separated administrators, second factor, sessions, tokens, passwords,
lockout and rate limits. Expected answers come from the issue text, not from the code."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts import services
from accounts.demo import DEMO_PASSWORD
from accounts.models import Role, RoleAssignment, User
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from tests.helpers import totp_code

LOGIN = "/accounts/login/"


def _login(client, username, *, otp=None, password=DEMO_PASSWORD, **extra):
    data = {"username": username, "password": password}
    if otp is not None:
        data["otp_token"] = otp
    return client.post(LOGIN, data, **extra)


# --- 三员分立 -----------------------------------------------------------------------------


def test_policy_admin_ticking_is_superuser_in_admin_is_refused_and_audited(demo, client):
    me = demo["policy_admin"]
    client.force_login(me)
    response = client.post(
        f"/admin/accounts/user/{me.pk}/change/",
        {"username": me.username, "is_superuser": "on", "is_staff": "on", "is_active": "on"},
    )
    assert response.status_code == 403
    me.refresh_from_db()
    assert not me.is_superuser
    event = AuditEvent.objects.get(action="security.refused", actor=me)
    assert "is_superuser" in event.after["attempted"]
    # …and giving itself the approver and finance roles through the admin is refused too.
    response = client.post(
        "/admin/accounts/roleassignment/add/", {"user": me.pk, "role": Role.APPROVER}
    )
    assert response.status_code == 403
    assert set(me.role_assignments.values_list("role", flat=True)) == {Role.POLICY_ADMIN}
    assert AuditEvent.objects.filter(action="security.refused", actor=me).count() == 2


def test_only_the_security_admin_grants_roles(demo):
    target = demo["county_weicheng"]
    for username in ("policy_admin", "auditor", "approver", "finance"):
        with pytest.raises(NotAllowed):
            services.role_assign(actor=demo[username], user=target, role=Role.APPROVER)
    assert AuditEvent.objects.filter(action="security.refused").count() == 4
    services.role_assign(actor=demo["security_admin"], user=demo["dept_sci"], role=Role.APPROVER)
    assert AuditEvent.objects.filter(action="user.role_assign").count() == 1


@pytest.mark.parametrize(
    ("holder", "role", "allowed"),
    [
        # 三员: no two of security admin, policy admin, auditor.
        ("policy_admin", Role.AUDITOR, False),
        ("policy_admin", Role.SECURITY_ADMIN, False),
        ("auditor", Role.POLICY_ADMIN, False),
        ("auditor", Role.SECURITY_ADMIN, False),
        # No review role with finance, either way round.
        ("finance", Role.APPROVER, False),
        ("finance", Role.COUNTY_REVIEWER, False),
        ("approver", Role.FINANCE, False),
        ("dept_miit", Role.FINANCE, False),
        # Administrators do no case work.
        ("policy_admin", Role.APPROVER, False),
        ("approver", Role.AUDITOR, False),
        # Two review roles are fine.
        ("dept_miit", Role.APPROVER, True),
    ],
)
def test_role_combinations(demo, holder, role, allowed):
    kwargs = {}
    if role == Role.COUNTY_REVIEWER:
        kwargs["place"] = demo["county_qindu"].role_assignments.get().place
    call = lambda: services.role_assign(  # noqa: E731
        actor=demo["security_admin"], user=demo[holder], role=role, **kwargs
    )
    if allowed:
        call()
        assert demo[holder].role_assignments.filter(role=role).exists()
    else:
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == "role_conflict"
        assert not demo[holder].role_assignments.filter(role=role).exists()


def test_security_admin_cannot_change_own_roles(demo):
    with pytest.raises(NotAllowed):
        services.role_assign(actor=demo["security_admin"], user=demo["security_admin"], role="x")
    assert AuditEvent.objects.filter(action="security.refused").exists()


def test_role_assignment_through_the_admin_uses_the_service(demo, client):
    client.force_login(demo["security_admin"])
    response = client.post(
        "/admin/accounts/roleassignment/add/", {"user": demo["dept_sci"].pk, "role": "approver"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="user.role_assign", object_id=str(demo["dept_sci"].pk))
    assignment = RoleAssignment.objects.get(user=demo["dept_sci"], role="approver")
    response = client.post(
        f"/admin/accounts/roleassignment/{assignment.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(action="user.role_remove").exists()
    # The security admin cannot tick is_superuser either: the field is read-only.
    target = demo["dept_sci"]
    client.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {"full_name": "新名字", "email": target.email, "is_active": "on", "is_superuser": "on"},
    )
    target.refresh_from_db()
    assert target.full_name == "新名字"
    assert not target.is_superuser
    assert AuditEvent.objects.filter(action="user.update", object_id=str(target.pk)).exists()


def test_an_email_change_by_the_admin_is_told_to_the_old_address_once(
    demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    """A password reset goes to the account's address: the security administrator changing
    it must not pass unnoticed by the owner (the new address may be someone else's)."""
    from accounts.models import AddressNotice, Notification
    from outbox.models import OutboxMessage
    from outbox.services import outbox_deliver_pending, outbox_run

    target = demo["qindu_corp"]
    old, new = target.email, "someone-else@example.com"
    client.force_login(demo["security_admin"])
    url = f"/admin/accounts/user/{target.pk}/change/"
    fields = {"full_name": target.full_name, "phone": target.phone or "", "is_active": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**fields, "email": new})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.email == new
    to_old = [m for m in mailoutbox if m.to == [old]]
    assert len(to_old) == 1
    assert "账户邮箱已变更" in to_old[0].subject
    assert target.username in to_old[0].body and "如非您本人申请" in to_old[0].body
    assert new not in to_old[0].body  # the old address is not told where the account went
    # The owner sees it in the portal too, and so at the new address.
    assert Notification.objects.filter(user=target, subject="账户邮箱已变更").count() == 1
    assert [m for m in mailoutbox if m.to == [new]]
    # Delivered again (a redelivered task, the sweeper): still one email to the old address.
    row = OutboxMessage.objects.get(kind="address_notice_email")
    OutboxMessage.objects.filter(pk=row.pk).update(state=OutboxMessage.State.PENDING)
    assert outbox_run(message_id=row.pk) == "done"
    outbox_deliver_pending(ignore_backoff=True)
    assert len([m for m in mailoutbox if m.to == [old]]) == 1
    # A change of name alone tells nobody; neither does a first address (there is no old one).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**fields, "full_name": "改名", "email": new})
    assert AddressNotice.objects.count() == 1
    services.user_update_by_admin(actor=demo["security_admin"], user=target, data={"email": ""})
    services.user_update_by_admin(
        actor=demo["security_admin"], user=target, data={"email": "third@example.com"}
    )
    assert AddressNotice.objects.filter(user=target).count() == 2  # new → "", not "" → third


def test_break_glass_superuser_only_by_command_and_audited(db):
    assert not User.objects.filter(is_superuser=True).exists()
    call_command(
        "breakglass_superuser", "emergency", "--reason", "数据库恢复", "--password", "Gl4ss!Break-x"
    )
    user = User.objects.get(username="emergency")
    assert user.is_superuser
    event = AuditEvent.objects.get(action="security.breakglass_superuser")
    assert event.comment == "数据库恢复"


def test_auditor_changes_nothing_in_staff_pages(demo, client):
    client.force_login(demo["auditor"])
    before = User.objects.count()
    response = client.post(
        "/accounts/staff/",
        {"username": "x1", "full_name": "x", "email": "x@e.cn", "role": "approver",
         "password": "Aa-123456789"},
    )  # fmt: skip
    assert response.status_code == 403
    from django_otp.plugins.otp_totp.models import TOTPDevice

    response = client.post(f"/accounts/staff/{demo['approver'].pk}/otp-reset/")
    assert response.status_code == 403
    assert "审计员为只读账户" in response.content.decode()
    assert TOTPDevice.objects.filter(user=demo["approver"]).exists()
    assert User.objects.count() == before


# --- second factor -----------------------------------------------------------------------


def test_staff_login_without_second_factor_is_refused(demo, client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows retries after a wrong code
    response = _login(client, "approver")
    assert response.status_code == 200
    assert "用户名、密码或动态验证码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    response = _login(client, "approver", otp="000000")
    assert "用户名、密码或动态验证码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    response = _login(client, "approver", otp=totp_code("approver"))
    assert response.status_code == 302
    assert client.get("/reviews/").status_code == 200


def test_enterprise_login_needs_no_second_factor(demo, client):
    assert _login(client, "qindu_corp").status_code == 302


def _form_errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def test_a_right_password_with_a_wrong_code_answers_as_a_wrong_password(
    demo, client, api_client, settings
):
    """A different answer told a guesser the staff password was right, without the code."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    wrong_password = _form_errors(_login(client, "approver", password="wrong", otp="000000"))
    wrong_code = _form_errors(_login(client, "approver", otp="000000"))
    no_code = _form_errors(_login(client, "approver"))
    assert wrong_password == wrong_code == no_code and len(wrong_password) == 1
    from axes.utils import reset

    reset(username="approver")  # three more failures follow; five lock the account
    url = "/api/v1/token/"
    answers = [
        api_client.post(url, {"username": "approver", **body}, format="json")
        for body in (
            {"password": "wrong", "otp": "000000"},
            {"password": DEMO_PASSWORD, "otp": "000000"},
            {"password": DEMO_PASSWORD},
        )
    ]
    assert {a.status_code for a in answers} == {400}
    assert len({(a.json()["code"], a.json()["message"]) for a in answers}) == 1


def test_an_enterprise_that_enrolled_a_second_factor_is_asked_for_it(demo, client, api_client):
    """Enrolled at /accounts/two-factor/, the code was never asked: the password alone let in
    (and could enrol a new device over the old one)."""
    from accounts.twofactor import demo_device_ensure

    demo_device_ensure(demo["qindu_corp"])
    response = _login(client, "qindu_corp")
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    token = api_client.post(
        "/api/v1/token/", {"username": "qindu_corp", "password": DEMO_PASSWORD}, format="json"
    )
    assert token.status_code == 400 and token.json()["code"] == "invalid_credentials"
    assert _login(client, "qindu_corp", otp=totp_code("qindu_corp")).status_code == 302
    token = api_client.post(
        "/api/v1/token/",
        {"username": "qindu_corp", "password": DEMO_PASSWORD, "otp": totp_code("qindu_corp")},
        format="json",
    )
    assert token.status_code == 200


def test_admin_login_goes_through_the_portal_login(demo, client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_demo_totp_secrets_are_fixed_and_printed(db, capsys):
    from accounts.twofactor import demo_totp_key

    call_command("seed_demo")
    out = capsys.readouterr().out
    first = demo_totp_key("approver")
    call_command("seed_demo")
    assert demo_totp_key("approver") == first
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.twofactor import totp_base32

    device = TOTPDevice.objects.get(user__username="approver", confirmed=True)
    assert device.key == first
    assert totp_base32(device) in out
    assert "security_admin" in out
    # The README's table gives a newcomer the same secrets.
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for user in User.objects.filter(role_assignments__isnull=False):
        secret = totp_base32(TOTPDevice.objects.get(user=user, confirmed=True))
        assert f"| {user.username} | `{secret}` |" in readme


def test_enrolment_with_qr_code_and_backup_codes(demo, client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    from django_otp.oath import totp

    services.user_otp_reset(actor=demo["security_admin"], user=demo["approver"])
    assert AuditEvent.objects.filter(action="security.otp_reset").exists()
    # No device left: the password alone opens only the enrolment page.
    assert _login(client, "approver").status_code == 302
    assert client.get("/reviews/")["Location"] == "/accounts/two-factor/"
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    qr = client.get("/accounts/two-factor/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=demo["approver"], confirmed=False)
    wrong = client.post("/accounts/two-factor/", {"token": "123456"})
    assert "动态验证码不正确" in wrong.content.decode()
    code = f"{totp(device.bin_key):06d}"
    done = client.post("/accounts/two-factor/", {"token": code})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    assert client.get("/reviews/").status_code == 200
    # A backup code signs in once.
    client.logout()
    assert _login(client, "approver", otp=codes[0]).status_code == 302
    client.logout()
    assert _login(client, "approver", otp=codes[0]).status_code == 200


# --- sessions ------------------------------------------------------------------------------
# Production reads sessions through the shared cache (cached_db): every rule below must hold
# with it as with the database engine (a revoked session leaves the cache too).


@pytest.fixture(
    params=["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"]
)
def session_engine(request, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SESSION_ENGINE = request.param
    return request.param


@pytest.mark.parametrize(
    ("cache_url", "engine"),
    [
        ("redis://127.0.0.1:6379/15", "django.contrib.sessions.backends.cached_db"),
        ("locmemcache://", "django.contrib.sessions.backends.db"),
    ],
)
def test_production_sessions_go_through_the_cache_only_when_it_is_shared(cache_url, engine):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.production",
        "DJANGO_SECRET_KEY": "test-only-" + "x" * 40,
        "FIELD_ENCRYPTION_KEYS": "t:00112233445566778899aabbccddeeff",
        "FIELD_HASH_KEY": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "AUDIT_CHAIN_KEY": "a0b1c2d3e4f5a6b7c8d9eaf0b1c2d3e4",
        "CACHE_URL": cache_url,
    }
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SESSION_ENGINE)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == engine


def test_staff_idle_timeout(demo, client, settings, session_engine):
    from accounts.sessions import LAST_SEEN

    client.force_login(demo["approver"])
    assert client.get("/reviews/").status_code == 200
    session = client.session
    session[LAST_SEEN] = time.time() - settings.STAFF_SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get("/reviews/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert client.get("/reviews/")["Location"].startswith(LOGIN)  # really signed out


def test_staff_session_ends_after_twelve_hours(demo, client, settings, session_engine):
    from accounts.sessions import LOGIN_AT

    assert settings.STAFF_SESSION_MAX_SECONDS == 12 * 3600
    client.force_login(demo["approver"])
    session = client.session
    session[LOGIN_AT] = time.time() - 12 * 3600 - 1
    session.save()
    assert client.get("/reviews/")["Location"].startswith(LOGIN)


def test_enterprise_sessions_time_out_too(demo, client, settings, session_engine):
    """Enterprise sessions lived 14 days with no idle limit (等保: every session times out)."""
    from accounts.sessions import LAST_SEEN, LOGIN_AT

    assert settings.ENTERPRISE_SESSION_IDLE_SECONDS == 3600
    client.force_login(demo["qindu_corp"])
    assert client.get("/applications/").status_code == 200
    assert client.session.get_expiry_age() <= 3600
    session = client.session
    session[LAST_SEEN] = time.time() - 3600 - 5
    session.save()
    response = client.get("/applications/")
    assert response["Location"].startswith(LOGIN)
    assert client.get("/applications/")["Location"].startswith(LOGIN)  # really signed out
    client.force_login(demo["qindu_corp"])
    session = client.session
    session[LOGIN_AT] = time.time() - settings.ENTERPRISE_SESSION_MAX_SECONDS - 1
    session.save()
    assert client.get("/applications/")["Location"].startswith(LOGIN)


def test_wrong_current_passwords_at_the_password_change_lock_the_account(
    demo, client, api_client, session_engine
):
    """Twelve wrong "current password" tries on the page and eight on the API were all
    answered, uncounted: a stolen session could guess the password, then change it."""
    from accounts.tokens import token_issue

    client.force_login(demo["qindu_corp"])
    wrong = {"old_password": "guess", "new_password1": "Qindu-new-Pass-77"}
    wrong["new_password2"] = wrong["new_password1"]
    for _ in range(4):
        assert client.post("/accounts/password/", wrong).status_code == 200
    assert client.post("/accounts/password/", wrong).status_code == 429
    assert "_auth_user_id" not in client.session  # the session ended
    assert _login(client, "qindu_corp", REMOTE_ADDR="10.7.0.1").status_code == 429
    key, _ = token_issue(user=demo["weicheng_corp"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {"old_password": "guess", "new_password": "Weicheng-new-Pass-77"}
    codes = [  # from another address: the page's failures locked 127.0.0.1 as well
        api_client.post(
            "/api/v1/password/", body, format="json", REMOTE_ADDR="10.8.0.1"
        ).status_code
        for _ in range(5)
    ]
    assert codes == [400, 400, 400, 400, 429]
    assert api_client.get("/api/v1/me/", REMOTE_ADDR="10.8.0.2").status_code == 401  # token ended


def test_what_a_signed_in_user_is_shown_is_not_cached(demo, client, api_client):
    """Bank details, applications and receipts stayed in the browser's cache after logout."""
    from accounts.tokens import token_issue

    client.force_login(demo["qindu_corp"])
    for url in ("/accounts/organisation/", "/applications/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    key, _ = token_issue(user=demo["qindu_corp"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert "no-store" in api_client.get("/api/v1/organisation/")["Cache-Control"]
    client.logout()
    public = client.get("/measures/")
    assert "no-store" not in public.get("Cache-Control", "")


def test_session_key_rotates_and_new_staff_login_ends_the_older(demo, client, session_engine):
    from django.test import Client

    client.get(LOGIN)
    anonymous_key = client.cookies["sessionid"].value if "sessionid" in client.cookies else None
    _login(client, "approver", otp=totp_code("approver"))
    first_key = client.session.session_key
    assert first_key != anonymous_key
    other = Client()
    assert _login(other, "approver", otp=totp_code("approver")).status_code == 302
    assert other.get("/reviews/").status_code == 200
    assert client.get("/reviews/")["Location"].startswith(LOGIN)


def test_password_change_ends_every_session_and_token(demo, client, api_client, session_engine):
    from django.test import Client

    from accounts.tokens import token_issue

    user = demo["qindu_corp"]
    key, _ = token_issue(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/me/").status_code == 200
    elsewhere = Client()
    elsewhere.force_login(user)
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "Qindu-new-Pass-77",
            "new_password2": "Qindu-new-Pass-77",
        },
    )
    assert response.status_code == 302
    assert api_client.get("/api/v1/me/").status_code == 401
    assert elsewhere.get("/accounts/home/")["Location"].startswith(LOGIN)
    assert client.get("/accounts/home/")["Location"].startswith(LOGIN)


def test_token_from_before_a_password_reset_is_refused(demo, api_client):
    from accounts.tokens import token_issue

    user = demo["qindu_corp"]
    key, _ = token_issue(user=user)
    user.set_password("Another-Pass-88x")
    user.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "令牌" in response.json()["message"]


# --- tokens --------------------------------------------------------------------------------


def test_token_endpoint_requires_otp_for_staff(demo, api_client):
    url = "/api/v1/token/"
    body = {"username": "finance", "password": DEMO_PASSWORD}
    refused = api_client.post(url, body, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_credentials"
    ok = api_client.post(url, {**body, "otp": totp_code("finance")}, format="json")
    assert ok.status_code == 200
    expiry = timezone.datetime.fromisoformat(ok.json()["expiry"])
    hours = (expiry - timezone.now()).total_seconds() / 3600
    assert 7.9 < hours <= 8
    enterprise = api_client.post(
        url, {"username": "qindu_corp", "password": DEMO_PASSWORD}, format="json"
    )
    days = (timezone.datetime.fromisoformat(enterprise.json()["expiry"]) - timezone.now()).days
    assert days in (29, 30)


def test_tokens_are_stored_hashed_expire_and_can_be_revoked(demo, api_client):
    from datetime import timedelta

    from knox.models import AuthToken

    from accounts.tokens import token_issue

    key, instance = token_issue(user=demo["qindu_corp"])
    assert key not in {instance.digest, instance.token_key}
    assert not AuthToken.objects.filter(digest__contains=key).exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/me/").status_code == 200
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert api_client.get("/api/v1/me/").status_code == 401
    key, _ = token_issue(user=demo["qindu_corp"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.post("/api/v1/token/revoke/").status_code == 204
    assert api_client.get("/api/v1/me/").status_code == 401


# --- passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["zxcvbnmq", "aaaaaaaaaaaa", "xianyang2025", "portal2025", "Xianyang@2025"]
)
def test_weak_passwords_refused(db, password):
    from django.contrib.auth.password_validation import validate_password

    with pytest.raises(ValidationError):
        validate_password(password, User(username="someone"))


@pytest.mark.parametrize(
    "password",
    # The last three: a common word with look-alike digits and symbols (seen accepted).
    ["Portal@2025!", "Xianyang-2025", "Zxcvbnm-2024", "P@ssw0rd123", "Passw0rd!23", "P@ssw0rd2025"],
)
def test_common_word_with_year_refused_even_with_three_classes(db, password):
    from accounts.passwords import LocalPatternValidator

    with pytest.raises(ValidationError):
        LocalPatternValidator().validate(password)


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1!", ["密码太短，至少需要10个字符。"]),
        # In Django's list of common passwords: one message, not one per list.
        ("password123", ["密码须包含大写字母、小写字母、数字、符号中的至少3类。",
                         "密码过于常见（拼音、地名、键盘序列或“单词+年份”），请换一个。"]),
    ],
)  # fmt: skip
def test_password_messages_are_chinese_and_not_repeated(db, password, expected):
    from django.contrib.auth.password_validation import validate_password
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password(password, User(username="someone"))
    assert refused.value.messages == expected


def test_demo_password_still_passes(db):
    from django.contrib.auth.password_validation import validate_password

    validate_password(DEMO_PASSWORD, User(username="someone"))


def test_last_five_passwords_cannot_be_reused(demo):
    from django.contrib.auth.password_validation import validate_password

    user = demo["qindu_corp"]
    used = [f"History-Pass-{n}x" for n in range(5)]
    for password in used:
        services.user_password_change(actor=user, new_password=password)
    for password in used:
        with pytest.raises(ValidationError):
            validate_password(password, user)
    services.user_password_change(actor=user, new_password="History-Pass-5x")
    # The oldest of the last six is now outside the last five.
    validate_password(used[0], user)


def test_staff_password_expires_after_90_days(demo, client):
    from datetime import timedelta

    user = demo["approver"]
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    client.force_login(User.objects.get(pk=user.pk))
    response = client.get("/reviews/")
    assert response["Location"] == "/accounts/password/"
    assert client.get("/accounts/password/").status_code == 200


# --- lockout and rate limits -----------------------------------------------------------------


def test_lockout_per_account_from_a_second_address(demo, client):
    for n in range(5):
        _login(client, "qindu_corp", password="wrong", REMOTE_ADDR=f"10.0.0.{n + 1}")
    response = _login(client, "qindu_corp", REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    body = response.content.decode()
    assert "再试" in body
    assert "分钟" in body
    assert "_auth_user_id" not in client.session


def test_a_login_of_another_account_does_not_reset_the_count_against_a_victim(demo, client):
    """With failures reset on success, the attacker's own login from the same address wiped
    the failures against the victim: 4 guesses, a login, 4 more, never locked."""
    for _ in range(4):
        _login(client, "weicheng_corp", password="wrong", REMOTE_ADDR="10.5.0.1")
    assert _login(client, "qindu_corp", REMOTE_ADDR="10.5.0.1").status_code == 302
    client.logout()
    _login(client, "weicheng_corp", password="wrong", REMOTE_ADDR="10.5.0.1")
    assert _login(client, "weicheng_corp", REMOTE_ADDR="10.5.0.2").status_code == 429


def test_lockout_per_address(demo, client):
    for n in range(5):
        _login(client, f"nobody{n}", password="wrong", REMOTE_ADDR="10.1.1.1")
    assert _login(client, "qindu_corp", REMOTE_ADDR="10.1.1.1").status_code == 429
    assert _login(client, "qindu_corp", REMOTE_ADDR="10.1.1.2").status_code == 302


def test_client_address_from_trusted_proxy_header(demo, client, settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        _login(
            client,
            f"nobody{n}",
            password="wrong",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 10.2.2.2",
        )
    # The proxy's own address (REMOTE_ADDR) is not the one locked out.
    assert (
        _login(
            client, "qindu_corp", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.2.2.3"
        ).status_code
        == 302
    )
    assert (
        _login(
            client, "weicheng_corp", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.2.2.2"
        ).status_code
        == 429
    )


def test_security_admin_unlocks_an_account(demo, client):
    for n in range(5):
        _login(client, "qindu_corp", password="wrong", REMOTE_ADDR=f"10.3.0.{n}")
    assert _login(client, "qindu_corp", REMOTE_ADDR="10.3.1.1").status_code == 429
    services.user_unlock(actor=demo["security_admin"], user=demo["qindu_corp"])
    assert AuditEvent.objects.filter(action="security.unlock").exists()
    assert _login(client, "qindu_corp", REMOTE_ADDR="10.3.1.1").status_code == 302


def test_token_endpoint_lockout_says_when(demo, api_client):
    for _ in range(5):
        api_client.post(
            "/api/v1/token/", {"username": "qindu_corp", "password": "bad"}, format="json"
        )
    response = api_client.post(
        "/api/v1/token/", {"username": "qindu_corp", "password": DEMO_PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["code"] in ("locked_out", "throttled")


# --- rate limits (each endpoint: the rate from settings, then 429 with a clear message) -----


def _hammer(send, limit):
    return [send().status_code for _ in range(limit + 1)]


@pytest.mark.parametrize(
    ("name", "method", "path", "data"),
    [
        ("register", "post", "/accounts/register/", {"legal_name": ""}),
        ("password_reset", "post", "/accounts/password-reset/", {"email": "x@example.com"}),
        ("verify", "get", "/verify/NOPE/", None),
    ],
)
def test_page_rate_limits(demo, client, settings, name, method, path, data):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, name: "3/h"}
    send = lambda: getattr(client, method)(path, data or {})  # noqa: E731
    codes = _hammer(send, 3)
    assert 429 not in codes[:3]
    assert codes[3] == 429
    assert "请求过于频繁" in send().content.decode() or name == "verify"


def test_login_rate_limit_per_address(demo, client, settings):
    # An hour, not a minute: the window is a clock bucket, and four requests that straddled a
    # minute boundary got a fresh count (a flaky 200 for the fourth).
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/h"}
    codes = [
        _login(client, f"user{n}", password="x", REMOTE_ADDR="10.7.7.7").status_code
        for n in range(4)
    ]
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429
    # Another address is not limited.
    assert _login(client, "qindu_corp", REMOTE_ADDR="10.7.7.8").status_code == 302


def test_objection_form_rate_limit(demo, client, settings):
    from datetime import timedelta

    from reviews.models import Notice

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "objection": "2/h"}
    today = timezone.localdate()
    notice = Notice.objects.create(
        title="公示",
        starts_on=today,
        ends_on=today + timedelta(days=5),
        working_days=5,
        created_by=demo["approver"],
    )
    codes = [
        client.post(f"/notices/{notice.pk}/", {"entry": "0", "name": "", "contact": ""}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert client.get(f"/notices/{notice.pk}/").status_code == 200  # reading is not limited


def test_calculator_page_rate_limit(demo, client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "calculator": "2/h"}
    client.force_login(demo["qindu_corp"])
    codes = [client.get("/applications/calculator/").status_code for _ in range(3)]
    assert codes[2] == 429


@pytest.mark.parametrize(
    ("scope", "path", "body"),
    [
        ("token", "/api/v1/token/", {"username": "nobody", "password": "x"}),
        ("calculator", "/api/v1/calculator/", {"clause": "NOPE", "facts": {}}),
    ],
)
def test_api_throttles(demo, api_client, settings, scope, path, body):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, scope: "2/minute"},
    }
    if scope == "calculator":
        api_client.force_authenticate(demo["qindu_corp"])
    codes = [api_client.post(path, body, format="json").status_code for _ in range(3)]
    assert 429 not in codes[:2]
    assert codes[2] == 429
    answer = api_client.post(path, body, format="json").json()
    assert answer["code"] == "throttled"
    assert answer["detail"]["retry_after_seconds"] > 0

import pytest
from django.core import mail

from accounts.demo import DEMO_PASSWORD
from accounts.models import Organisation, Place, User

REGISTRATION = {
    "legal_name": "咸阳测试科技有限公司",
    "uscc": "91110000600037341L",
    "kind": "enterprise",
    "industry": "软件",
    "full_name": "李四",
    "contact_phone": "029-33112233",
    "contact_email": "lisi@example.com",
    "username": "lisi",
    "password1": "Strong-pass-2025",
    "password2": "Strong-pass-2025",
}


@pytest.fixture
def registration(db):
    return {**REGISTRATION, "place": Place.objects.get(code="weicheng").pk}


def test_registration_creates_organisation_and_member(client, registration):
    response = client.post("/accounts/register/", registration)
    assert response.status_code == 302
    org = Organisation.objects.get(uscc="91110000600037341L")
    user = User.objects.get(username="lisi")
    assert list(user.organisations.all()) == [org]
    assert user.password.startswith("md5$")  # test hasher; production uses argon2
    assert client.get("/accounts/home/").status_code == 200


def test_registration_errors_are_next_to_fields_and_keep_input(client, registration):
    data = {
        **registration,
        "uscc": "91110000600037341A",
        "password2": "other",
        "contact_phone": "x",
    }
    response = client.post("/accounts/register/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "校验位不正确（应为 L）" in body
    assert "两次输入的密码不一致" in body
    assert "请输入有效的电话号码" in body
    assert 'value="咸阳测试科技有限公司"' in body  # nothing typed is lost
    assert not Organisation.objects.filter(legal_name="咸阳测试科技有限公司").exists()


@pytest.mark.parametrize(
    "typed",
    [
        "91110000600037341l",  # the check letter in lower case
        # full width, as a Chinese input method types it
        "".join(chr(ord(ch) + 0xFEE0) for ch in "91110000600037341L"),
        "9111 0000 6000 3734 1L",  # grouped as on a certificate
    ],
)
def test_registration_takes_the_code_as_typed_and_stores_it_as_written(client, registration, typed):
    response = client.post("/accounts/register/", {**registration, "uscc": typed})
    assert response.status_code == 302
    assert Organisation.objects.filter(uscc="91110000600037341L").exists()


def test_second_registration_with_same_code_refused(client, registration):
    client.post("/accounts/register/", registration)
    client.logout()
    again = {**registration, "username": "other", "legal_name": "另一家公司"}
    response = client.post("/accounts/register/", again)
    assert response.status_code == 200
    assert "已注册" in response.content.decode()
    assert Organisation.objects.filter(uscc=registration["uscc"]).count() == 1
    assert not User.objects.filter(username="other").exists()


def test_argon2_is_the_production_hasher():
    from xianyang_portal.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize("path", ["/accounts/home/", "/accounts/organisation/", "/accounts/staff/"])
def test_pages_need_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/accounts/register/", "/accounts/password-reset/"]
)
def test_public_pages_open(client, db, path):
    assert client.get(path).status_code == 200


def test_login_is_throttled_after_repeated_failures(client, demo):
    for _ in range(5):
        response = client.post(
            "/accounts/login/",
            {"username": "qindu_corp", "password": "wrong"},
            REMOTE_ADDR="10.0.0.9",
        )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    # Even the right password is refused while locked.
    locked = client.post(
        "/accounts/login/",
        {"username": "qindu_corp", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_successful_login_below_the_limit(client, demo):
    for _ in range(3):
        client.post("/accounts/login/", {"username": "qindu_corp", "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"username": "qindu_corp", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_password_reset_sends_mail(client, demo):
    response = client.post("/accounts/password-reset/", {"email": "qindu_corp@demo.xianyang.local"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_language_switch_to_english(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert "Enterprise registration" in response.content.decode()


def test_empty_login_names_the_missing_fields(client, db):
    body = client.post("/accounts/login/", {"username": "", "password": ""}).content.decode()
    assert "请填写用户名。" in body and "请填写密码。" in body
    assert 'aria-describedby="id_username-error"' in body

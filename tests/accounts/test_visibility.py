"""Roles × organisations: who sees which organisation, through the one selector and the pages."""

import pytest

from accounts.models import Organisation, Role
from accounts.selectors import organisations_visible_to, user_scopes


def _names(user):
    return set(organisations_visible_to(user=user).values_list("legal_name", flat=True))


ALL = {
    "咸阳秦都精密制造有限公司",
    "咸阳渭城新材料科技有限公司",
    "兴平市现代医药股份有限公司",
    "咸阳高新区管委会",
    "三原县人民政府",
}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("qindu_corp", {"咸阳秦都精密制造有限公司"}),
        ("weicheng_corp", {"咸阳渭城新材料科技有限公司"}),
        ("county_qindu", {"咸阳秦都精密制造有限公司"}),
        ("county_hitech", {"咸阳高新区管委会"}),
        ("dept_miit", ALL),
        ("approver", ALL),
        ("finance", ALL),
        ("policy_admin", ALL),
        ("auditor", ALL),
    ],
)
def test_organisation_visibility_by_role(demo, username, expected):
    assert _names(demo[username]) == expected


def test_user_without_role_or_membership_sees_nothing(db):
    from accounts.models import User

    nobody = User.objects.create_user("nobody", password="x-very-long-password")
    assert _names(nobody) == set()


def test_scopes(demo):
    scopes = user_scopes(demo["county_qindu"])
    assert scopes.has(Role.COUNTY_REVIEWER)
    assert not scopes.is_enterprise
    assert user_scopes(demo["qindu_corp"]).is_enterprise


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("security_admin", 200),
        ("auditor", 200),
        ("policy_admin", 403),
        ("qindu_corp", 403),
        ("approver", 403),
    ],
)
def test_staff_page_only_for_security_admin_and_auditor(demo, client, username, status):
    client.force_login(demo[username])
    response = client.get("/accounts/staff/")
    assert response.status_code == status
    if status == 200:
        # Only the security administrator gets the form; the auditor reads.
        assert ('name="username"' in response.content.decode()) == (username == "security_admin")


def test_organisation_profile_shows_only_own(demo, client):
    client.force_login(demo["qindu_corp"])
    body = client.get("/accounts/organisation/").content.decode()
    assert "咸阳秦都精密制造有限公司" in body
    assert "渭城" not in body


def test_staff_without_organisation_gets_404_on_profile(demo, client):
    client.force_login(demo["approver"])
    assert client.get("/accounts/organisation/").status_code == 404


def test_bank_account_change_is_recorded(demo, client):
    from audit.models import AuditEvent

    client.force_login(demo["qindu_corp"])
    org = Organisation.objects.get(legal_name="咸阳秦都精密制造有限公司")
    response = client.post(
        "/accounts/organisation/",
        {
            "industry": org.industry,
            "contact_name": org.contact_name,
            "contact_phone": org.contact_phone,
            "contact_email": org.contact_email,
            "payee_name": org.payee_name,
            "bank_name": "中国银行咸阳分行",
            "bank_account": "6216612345678901",
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.bank_account_updated_at is not None
    event = AuditEvent.objects.get(action="organisation.bank_account_change")
    assert event.after["bank_account"] == "6216 **** **** 8901"  # masked in the audit JSON
    assert event.before["bank_name"] == "中国工商银行咸阳分行"


def test_bad_bank_account_is_refused_next_to_the_field(demo, client):
    client.force_login(demo["qindu_corp"])
    org = Organisation.objects.get(legal_name="咸阳秦都精密制造有限公司")
    response = client.post(
        "/accounts/organisation/",
        {
            "contact_name": org.contact_name,
            "contact_phone": "abc",
            "bank_account": "12ab",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "银行账号应为8-30位数字" in body
    assert "请输入有效的电话号码" in body


def test_masked_values_stay_masked_when_the_form_comes_back_with_an_error(demo, client):
    from core.crypto import mask_phone

    client.force_login(demo["qindu_corp"])
    org = Organisation.objects.get(legal_name="咸阳秦都精密制造有限公司")
    masked_phone = mask_phone(org.contact_phone)
    assert masked_phone != org.contact_phone
    response = client.post(
        "/accounts/organisation/",
        {
            "contact_name": org.contact_name,
            "contact_phone": masked_phone,  # sent back unchanged, as the page showed it
            "payee_name": org.payee_name,
            "bank_name": org.bank_name,
            "bank_account": "12ab",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "银行账号应为8-30位数字" in body
    assert masked_phone in body and org.contact_phone not in body
    # The same mask sent with a good account keeps the stored number.
    response = client.post(
        "/accounts/organisation/",
        {
            "contact_name": org.contact_name,
            "contact_phone": masked_phone,
            "payee_name": org.payee_name,
            "bank_name": org.bank_name,
            "bank_account": "6216612345678901",
        },
    )
    assert response.status_code == 302
    stored = org.contact_phone
    org.refresh_from_db()
    assert org.contact_phone == stored


def test_security_admin_creates_county_reviewer_needs_place(demo, client):
    client.force_login(demo["security_admin"])
    response = client.post(
        "/accounts/staff/",
        {
            "username": "county_new",
            "full_name": "新审核员",
            "email": "n@example.com",
            "role": "county_reviewer",
            "password": "A-strong-password-9",
        },
    )
    assert response.status_code == 200
    assert "必须指定县市区或园区" in response.content.decode()


def test_full_width_digits_are_kept_as_ascii_digits(demo):
    """A Chinese input method types １２３: the account the bank file must match is ASCII;
    digits of other scripts are still refused."""
    from accounts.forms import OrganisationProfileForm

    org = Organisation.objects.get(legal_name="咸阳秦都精密制造有限公司")
    data = {
        "industry": org.industry,
        "contact_name": org.contact_name,
        "contact_phone": "１３８－１２３４－５６７８",
        "contact_email": org.contact_email,
        "payee_name": org.payee_name,
        "bank_name": org.bank_name,
        "bank_account": "６２１６ ６１２３ ４５６７ ８９０１",
    }
    form = OrganisationProfileForm(data, instance=org)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["bank_account"] == "6216612345678901"
    assert form.cleaned_data["contact_phone"] == "138-1234-5678"
    form = OrganisationProfileForm({**data, "bank_account": "٦٢١٦٦١٢٣٤٥٦٧٨٩٠١"}, instance=org)
    assert not form.is_valid() and "bank_account" in form.errors

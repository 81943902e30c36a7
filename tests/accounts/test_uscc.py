import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Organisation, Place
from accounts.uscc import USCCChecksumError, validate_uscc
from core.errors import NotAllowed


@pytest.mark.parametrize("code", ["91110000600037341L", "91620105L015101280"])
def test_valid_codes(code):
    assert validate_uscc(code) == code


@pytest.mark.parametrize(
    ("code", "error_code", "fragment"),
    [
        ("91110000600037341M", "uscc_checksum", "应为 L"),
        ("9111000060003734", "uscc_length", "当前为16位"),
        ("91110000600037341LX", "uscc_length", "当前为19位"),
        ("91110000600037341l", "uscc_lowercase", "大写"),
        ("9111000060003734IL", "uscc_alphabet", "I"),
        ("91110000600037O41L", "uscc_alphabet", "O"),
        ("", "uscc_length", "当前为0位"),
    ],
)
def test_invalid_codes_have_specific_messages(code, error_code, fragment):
    with pytest.raises(ValidationError) as info:
        validate_uscc(code)
    assert info.value.code == error_code
    assert fragment in info.value.messages[0]


def test_checksum_error_is_the_overridable_kind():
    with pytest.raises(USCCChecksumError):
        validate_uscc("91110000600037341M")


def _org_fields():
    return {
        "legal_name": "校验位不符但真实登记的公司",
        "kind": "enterprise",
        "place": Place.objects.get(code="qindu"),
        "contact_name": "张三",
        "contact_phone": "13800000000",
    }


def test_policy_admin_overrides_failing_check_with_reason(demo):
    org = services.organisation_create_by_admin(
        actor=demo["policy_admin"],
        uscc="91110000600037341M",
        override_reason="登记机关核发的历史代码，经营业执照原件核验一致",
        **_org_fields(),
    )
    org.refresh_from_db()
    assert org.uscc_check_overridden is True
    assert "营业执照" in org.uscc_override_reason
    from audit.models import AuditEvent

    event = AuditEvent.objects.get(action="organisation.uscc_override", object_id=str(org.pk))
    assert event.actor == demo["policy_admin"]


def test_override_needs_a_reason(demo):
    with pytest.raises(USCCChecksumError):
        services.organisation_create_by_admin(
            actor=demo["policy_admin"],
            uscc="91110000600037341M",
            override_reason=" ",
            **_org_fields(),
        )


def test_override_refused_for_other_roles(demo):
    with pytest.raises(NotAllowed):
        services.organisation_check_uscc(
            uscc="91110000600037341M", override_reason="理由", actor=demo["approver"]
        )


def test_override_never_accepts_a_malformed_code(demo):
    with pytest.raises(ValidationError) as info:
        services.organisation_check_uscc(
            uscc="91110000600037341l", override_reason="理由", actor=demo["policy_admin"]
        )
    assert info.value.code == "uscc_lowercase"


def test_duplicate_code_is_refused(demo):
    existing = Organisation.objects.first()
    with pytest.raises(ValidationError) as info:
        services.organisation_create_by_admin(
            actor=demo["policy_admin"], uscc=existing.uscc, **_org_fields()
        )
    assert "已注册" in str(info.value)
    assert Organisation.objects.filter(uscc=existing.uscc).count() == 1


def test_admin_form_override_path(demo, client):
    client.force_login(demo["policy_admin"])
    data = {
        "legal_name": "人工确认公司",
        "uscc": "91110000600037341M",
        "kind": "enterprise",
        "place": Place.objects.get(code="qindu").pk,
        "contact_name": "张三",
        "contact_phone": "13800000000",
    }
    refused = client.post("/admin/accounts/organisation/add/", data)
    assert refused.status_code == 200
    assert "校验位不正确" in refused.content.decode()
    accepted = client.post(
        "/admin/accounts/organisation/add/", {**data, "override_reason": "原件核验一致"}
    )
    assert accepted.status_code == 302
    assert Organisation.objects.get(uscc="91110000600037341M").uscc_check_overridden


# GB 32100-2015 check character, written out by hand for the tests (independent of the code
# under test): weights 3^i mod 31, C18 = 31 - (Σ Ci·Wi mod 31), 31 → 0.
GB_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _with_check(body: str) -> str:
    total = sum(GB_ALPHABET.index(c) * w for c, w in zip(body, GB_WEIGHTS, strict=True))
    return body + GB_ALPHABET[(31 - total % 31) % 31]


@pytest.mark.parametrize(
    "body",
    [
        "N2610404MF0123456",  # 农业农村部门: 农村集体经济组织
        "N1610404MF0123457",
        "Y1610404MF0123458",  # 其他登记管理部门
        "A1610404MF0123459",  # 中央军委改革和编制办公室
        "51610400MJ0000001",  # 民政: 社会团体
    ],
)
def test_every_registration_authority_accepted_with_a_right_check_character(body):
    code = _with_check(body)
    assert validate_uscc(code) == code


def test_n_code_with_wrong_check_character_is_the_overridable_kind():
    right = _with_check("N2610404MF0123456")
    wrong = right[:-1] + ("0" if right[-1] != "0" else "1")
    with pytest.raises(USCCChecksumError) as info:
        validate_uscc(wrong)
    assert f"应为 {right[-1]}" in info.value.messages[0]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("B1610404MF0123456", "第1位"),
        ("0161040XMF0123456", "第1位"),
        ("91610A04MF0123456", "第3至8位"),
    ],
)
def test_layout_errors_are_specific(body, fragment):
    with pytest.raises(ValidationError) as info:
        validate_uscc(_with_check(body))
    assert info.value.code == "uscc_format" and fragment in info.value.messages[0]

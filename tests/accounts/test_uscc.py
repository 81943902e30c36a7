import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Organisation, Place
from accounts.uscc import USCCChecksumError, validate_uscc
from xianyang_portal.errors import NotAllowed


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

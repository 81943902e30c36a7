"""免申即享: a recognition list becomes pre-filled applications; bad lists change nothing."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook

from accounts.models import Notification
from applications import services as application_services
from applications.models import Application, Status
from core.errors import DomainError, NotAllowed
from integrations.models import RecognitionList, RecognitionRow
from integrations.services import recognition_list_import
from tests.helpers import api_as

QINDU = "91610400MA6T0XY00U"  # demo: 咸阳秦都精密制造有限公司 (qindu_corp)
WEICHENG = "91610400MA6T0XY01Y"  # demo: 咸阳渭城新材料科技有限公司
UNREGISTERED = "91610400MA6T0XY035"  # a valid code nobody registered
HITECH_PARK = "11610400MB2950001F"  # demo: 咸阳高新区管委会, a park
HEADER = "统一社会信用代码,企业名称,认定类别,级别,认定日期,文号\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8-sig")


def _xlsx(*rows: list) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(demo, data: bytes, *, name="名单.csv", clause="M02-SPECIALISED-SME"):
    return recognition_list_import(
        actor=demo["policy_admin"],
        clause_code=clause,
        title="2025年陕西省专精特新中小企业名单",
        document_no="陕工信发〔2025〕12号",
        file_name=name,
        data=data,
    )


@pytest.fixture
def listed(demo, open_round_db):
    return _import(
        demo,
        _csv(
            f"{QINDU},咸阳秦都精密制造有限公司,专精特新中小企业,省级,2025-08-01,陕工信发〔2025〕12号",
            f"{WEICHENG},咸阳渭城新材料科技有限公司,专精特新“小巨人”,国家级,2025/9/3,",
            f"{UNREGISTERED},咸阳未注册科技有限公司,专精特新中小企业,省级,2025年8月1日,",
        ),
    )


def test_matched_organisations_get_prefilled_exempt_drafts(listed, demo):
    assert (listed.created, listed.existing, len(listed.unmatched)) == (2, 0, 1)
    assert listed.unmatched[0].uscc == UNREGISTERED
    qindu = Application.objects.get(organisation__uscc=QINDU)
    assert qindu.status == Status.DRAFT
    assert qindu.facts == {
        "level": "provincial",
        "recognised_on": "2025-08-01",
        "certificate_no": "陕工信发〔2025〕12号",
    }
    # 省级“专精特新”中小企业: 不超过10万元 (measure 2); 国家级“小巨人”: 不超过20万元.
    assert qindu.computed_amount == Decimal("100000.00")
    weicheng = Application.objects.get(organisation__uscc=WEICHENG)
    assert weicheng.facts["level"] == "national"
    assert weicheng.facts["certificate_no"] == "陕工信发〔2025〕12号"  # the list's own number
    assert weicheng.computed_amount == Decimal("200000.00")
    assert "专精特新" in qindu.exempt_source and qindu.exempt_materials == ["CERTIFICATE"]
    message = Notification.objects.get(user=demo["qindu_corp"])
    assert "免申即享" in message.subject and qindu.reference in message.body
    assert message.link == f"/applications/{qindu.reference}/edit/"


def test_enterprise_only_confirms_pledge_and_submits(listed, demo):
    application = Application.objects.get(organisation__uscc=QINDU)
    submitted = application_services.application_submit(
        actor=demo["qindu_corp"],
        application_id=application.pk,
        pledge_accepted=True,
        pledge_name="秦都 张三",
    )
    assert submitted.status == Status.COUNTY_REVIEW  # no certificate upload was needed


def test_facts_the_list_proves_cannot_be_changed_in_the_draft(listed, demo, client):
    """The list proves the level, date and number, and the waived certificate rests on them:
    a draft keeps them as listed, by the API and by the page, with a reason when refused."""
    qindu = Application.objects.get(organisation__uscc=QINDU)
    listed_facts = dict(qindu.facts)
    api = api_as(demo["qindu_corp"])
    url = f"/api/v1/applications/{qindu.reference}/"
    assert api.get(url).json()["exempt_facts"] == listed_facts  # a client knows what is fixed
    changed = api.patch(url, {"facts": {**listed_facts, "level": "national"}}, format="json")
    assert changed.status_code == 400 and changed.json()["code"] == "list_proven_fact"
    assert "认定名单" in changed.json()["message"] and "fact:level" in changed.json()["detail"]
    # The same facts written another way are unchanged: the basic ISO date, spaces.
    same = {**listed_facts, "recognised_on": "20250801", "certificate_no": " 陕工信发〔2025〕12号 "}
    assert api.patch(url, {"facts": same}, format="json").status_code == 200
    # Saving without them (or with them unchanged) keeps them as listed.
    assert api.patch(url, {"facts": {}}, format="json").status_code == 200
    qindu.refresh_from_db()
    assert qindu.facts == listed_facts

    client.force_login(demo["qindu_corp"])
    page = client.get(f"/applications/{qindu.reference}/edit/").content.decode()
    assert re.search(r'<input[^>]*name="fact_level"[^>]*disabled', page) or re.search(
        r'<select[^>]*name="fact_level"[^>]*disabled', page
    )
    tampered = client.post(
        f"/applications/{qindu.reference}/edit/",
        {"fact_recognised_on": "2025-12-30", "action": "save"},
    )
    assert tampered.status_code == 200 and "来自认定名单，不能修改" in tampered.content.decode()
    qindu.refresh_from_db()
    assert qindu.facts == listed_facts


def test_exempt_submit_needs_the_payee_account_it_asks_to_confirm(listed, demo, client):
    qindu = Application.objects.get(organisation__uscc=QINDU)
    organisation = qindu.organisation
    organisation.bank_account = ""
    organisation.save(update_fields=["bank_account"])
    with pytest.raises(DomainError) as info:
        application_services.application_submit(
            actor=demo["qindu_corp"],
            application_id=qindu.pk,
            pledge_accepted=True,
            pledge_name="张三",
        )
    assert "收款账户" in info.value.message and "account" in info.value.detail
    client.force_login(demo["qindu_corp"])
    page = client.get(f"/applications/{qindu.reference}/edit/").content.decode()
    assert "尚未填写收款账户" in page
    qindu.refresh_from_db()
    assert qindu.status == Status.DRAFT


def test_reviewer_sees_the_exempt_mark_and_the_list(listed, demo, client):
    application = Application.objects.get(organisation__uscc=QINDU)
    application_services.application_submit(
        actor=demo["qindu_corp"],
        application_id=application.pk,
        pledge_accepted=True,
        pledge_name="张三",
    )
    client.force_login(demo["county_qindu"])
    page = client.get(f"/reviews/cases/{application.reference}/").content.decode()
    assert "免申即享" in page and "2025年陕西省专精特新中小企业名单" in page


def test_reimport_does_not_create_a_second_application(listed, demo):
    again = _import(
        demo,
        _csv(
            f"{QINDU},咸阳秦都精密制造有限公司,专精特新中小企业,省级,2025-08-01,陕工信发〔2025〕12号"
        ),
    )
    assert (again.created, again.existing) == (0, 1)
    assert Application.objects.filter(organisation__uscc=QINDU).count() == 1


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("91610400MA6T0XY00X,某公司,专精特新,省级,2025-08-01,", "校验位"),
        ("123,某公司,专精特新,省级,2025-08-01,", "18位"),
        (f"{QINDU},某公司,专精特新,市级,2025-08-01,", "级别“市级”"),
        (f"{QINDU},某公司,专精特新,省级,2025-13-40,", "认定日期"),
        (f'{QINDU},=HYPERLINK("http://x"),专精特新,省级,2025-08-01,', "公式"),
        # The policy (咸工信发〔2025〕70号) runs from 2025-06-30 to 2025-12-31.
        (f"{QINDU},某公司,专精特新,省级,2025-03-01,", "不在政策有效期内"),
        (f"{QINDU},某公司,专精特新,省级,2099-01-01,", "晚于今天"),
        # Measure 2 rewards 专精特新 中小企业: a park on the list is refused, not invited.
        (f"{HITECH_PARK},咸阳高新区管委会,专精特新,省级,2025-08-01,", "申报主体"),
    ],
)
def test_a_bad_row_refuses_the_whole_list(demo, open_round_db, row, expected):
    good = f"{WEICHENG},咸阳渭城新材料科技有限公司,专精特新,省级,2025-08-01,"
    with pytest.raises(DomainError) as info:
        _import(demo, _csv(good, row))
    assert info.value.code == "invalid_rows"
    assert list(info.value.detail["rows"]) == ["3"]
    assert expected in " ".join(info.value.detail["rows"]["3"])
    assert not Application.objects.exists() and not RecognitionList.objects.exists()


def test_duplicate_rows_are_named(demo, open_round_db):
    row = f"{QINDU},咸阳秦都精密制造有限公司,专精特新,省级,2025-08-01,"
    with pytest.raises(DomainError) as info:
        _import(demo, _csv(row, row))
    assert "与第2行重复" in info.value.detail["rows"]["3"][0]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        ("统一社会信用代码,企业名称\n".encode("utf-16-le"), "x.csv", "bad_encoding"),
        (b"name,level\nx,y\n", "x.csv", "missing_columns"),
        (b"", "x.csv", "empty_file"),
        (b"\xd0\xcf\x11\xe0rest", "x.xls", "unsupported_format"),
    ],
)
def test_unreadable_files_get_a_specific_error(demo, open_round_db, data, name, code):
    with pytest.raises(DomainError) as info:
        _import(demo, data, name=name)
    assert info.value.code == code


def test_too_many_rows_refused(demo, open_round_db):
    rows = [f"{QINDU},名称{i},专精特新,省级,2025-08-01," for i in range(20_001)]
    with pytest.raises(DomainError) as info:
        _import(demo, _csv(*rows))
    assert info.value.code == "too_many_rows"


def test_unknown_clause_refused(demo, open_round_db):
    with pytest.raises(DomainError) as info:
        _import(demo, _csv(), clause="M99-NOPE")
    assert info.value.code == "unknown_clause"


def test_gbk_csv_and_xlsx_are_read(demo, open_round_db):
    gbk = (HEADER + f"{QINDU},咸阳秦都精密制造有限公司,专精特新,省级,2025-08-01,\n").encode("gbk")
    assert _import(demo, gbk).created == 1
    data = _xlsx(
        ["2025年名单"],  # a title row above the header is allowed
        HEADER.strip().split(","),
        [WEICHENG, "咸阳渭城新材料科技有限公司", "小巨人", "国家级", "2025-09-03", "文号1"],
    )
    assert _import(demo, data, name="名单.xlsx").created == 1


def test_xlsx_formula_cells_are_refused_with_their_row(demo, open_round_db):
    """A formula cell in an xlsx list is refused like one typed into a CSV; read as its
    cached value it would pass unseen (or read empty when no program computed it)."""
    data = _xlsx(
        HEADER.strip().split(","),
        [QINDU, "咸阳秦都精密制造有限公司", "专精特新", "省级", "2025-08-01", "文号1"],
        [WEICHENG, '=HYPERLINK("http://x","渭城")', "专精特新", "省级", "2025-08-01", ""],
    )
    with pytest.raises(DomainError) as info:
        _import(demo, data, name="名单.xlsx")
    assert info.value.code == "invalid_rows"
    assert list(info.value.detail["rows"]) == ["3"]
    assert "公式" in info.value.detail["rows"]["3"][0]
    assert not RecognitionList.objects.exists() and not Application.objects.exists()


def test_a_list_over_the_size_limit_names_the_limit_not_a_size(demo, open_round_db):
    # An upload is read only up to just past the limit, so a size would be wrong.
    with pytest.raises(DomainError) as info:
        _import(demo, b"a" * (10 * 1024 * 1024 + 1))
    assert info.value.code == "file_too_large"
    assert info.value.message == "文件超过 10 MB 的上限，请拆分后导入。"


def test_only_the_policy_administrator_imports(demo, open_round_db):
    with pytest.raises(NotAllowed):
        recognition_list_import(
            actor=demo["approver"],
            clause_code="M02-SPECIALISED-SME",
            title="名单",
            document_no="",
            file_name="x.csv",
            data=_csv(),
        )


def test_page_shows_every_bad_row_and_keeps_nothing(demo, open_round_db, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(demo["policy_admin"])
    response = client.post(
        "/integrations/lists/",
        {
            "clause": "M02-SPECIALISED-SME",
            "title": "名单",
            "file": SimpleUploadedFile(
                "x.csv", _csv("123,甲,专精特新,省级,2025-08-01,", "456,乙,x,省级,,")
            ),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "第2行" in body and "第3行" in body
    assert body.count("第2行") == 1  # listed once, not repeated as the form's error
    assert not RecognitionRow.objects.exists()


def test_api_import_for_the_policy_administrator(demo, open_round_db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "x.csv", _csv(f"{QINDU},咸阳秦都精密制造有限公司,专精特新,省级,2025-08-01,")
    )
    response = api_as(demo["policy_admin"]).post(
        "/api/v1/recognition-lists/",
        {"clause": "M02-SPECIALISED-SME", "title": "名单", "file": upload},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 1
    assert api_as(demo["qindu_corp"]).post(
        "/api/v1/recognition-lists/", {}, format="multipart"
    ).status_code in (400, 403)


@pytest.mark.parametrize("value", ["+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)"])
def test_cells_starting_like_a_formula_are_refused(demo, open_round_db, value):
    """Decision: a cell starting with = + - @ is refused (unless a plain number), never
    imported as text, so a list cannot carry a formula into an export opened in Excel."""
    with pytest.raises(DomainError) as info:
        _import(demo, _csv(f'{QINDU},"{value}",专精特新,省级,2025-08-01,'))
    assert info.value.code == "invalid_rows"
    assert "公式" in info.value.detail["rows"]["2"][0]
    assert not RecognitionList.objects.exists()


def test_a_plain_negative_number_is_not_taken_for_a_formula(demo, open_round_db):
    result = _import(demo, _csv(f"{QINDU},咸阳秦都精密制造有限公司,专精特新,省级,2025-08-01,-1"))
    assert result.created == 1


def test_bytes_that_are_no_chinese_encoding_are_refused(demo, open_round_db):
    data = HEADER.encode("utf-8") + b"\xff\xfe\xff\xff," * 3 + b"\n"
    with pytest.raises(DomainError) as info:
        _import(demo, data)
    assert info.value.code == "bad_encoding" and "UTF-8" in info.value.message


def test_a_hundred_thousand_rows_are_refused_with_the_limit(demo, open_round_db):
    rows = [f"{QINDU},名称{i},专精特新,省级,2025-08-01," for i in range(100_000)]
    with pytest.raises(DomainError) as info:
        _import(demo, _csv(*rows))
    assert info.value.code == "too_many_rows" and "20000" in info.value.message
    assert not RecognitionList.objects.exists() and not Application.objects.exists()


def test_bad_lists_through_the_api_get_the_error_format(demo, open_round_db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cases = [
        (_csv(f"{QINDU},某公司,专精特新,省级,2025-08-01,"), "M99-NOPE", "unknown_clause"),
        (_csv("123,某公司,专精特新,省级,2025-08-01,"), "M02-SPECIALISED-SME", "invalid_rows"),
        ("统一社会信用代码\n".encode("utf-16-le"), "M02-SPECIALISED-SME", "bad_encoding"),
    ]
    for data, clause, code in cases:
        response = api_as(demo["policy_admin"]).post(
            "/api/v1/recognition-lists/",
            {"clause": clause, "title": "名单", "file": SimpleUploadedFile("x.csv", data)},
            format="multipart",
        )
        body = response.json()
        assert response.status_code == 400 and body["code"] == code, body
        assert body["message"] and "detail" in body
    assert not RecognitionList.objects.exists() and not Application.objects.exists()


def test_a_conflicting_concurrent_write_rolls_the_whole_list_back(demo, open_round_db, monkeypatch):
    from django.db import IntegrityError

    import integrations.services as list_services

    def racing(*args, **kwargs):
        raise IntegrityError("application_one_live_per_basis")

    monkeypatch.setattr(list_services, "notify_many", racing)  # after drafts and rows are written
    with pytest.raises(DomainError) as info:
        _import(demo, _csv(f"{QINDU},咸阳秦都精密制造有限公司,专精特新,省级,2025-08-01,"))
    assert info.value.code == "conflict" and info.value.status_code == 409
    assert not Application.objects.exists() and not RecognitionRow.objects.exists()
    assert not Notification.objects.exists()

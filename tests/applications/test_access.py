"""Organisation A cannot read, list, download or act on B's applications or files."""

import pytest

from applications.models import Status
from tests.applications.files import image_bytes, pdf_bytes
from tests.helpers import api_as


@pytest.fixture
def b_application(application_factory):
    return application_factory(username="weicheng_corp", submit=True)


@pytest.mark.parametrize(
    "path",
    ["/applications/{ref}/", "/applications/{ref}/edit/"],
)
def test_pages_404_for_other_organisation(client, demo, b_application, path):
    client.force_login(demo["qindu_corp"])
    assert client.get(path.format(ref=b_application.reference)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/applications/{ref}/withdraw/",
        "/applications/{ref}/autosave/",
        "/applications/{ref}/delete/",
    ],
)
def test_actions_404_for_other_organisation(client, demo, b_application, path):
    client.force_login(demo["qindu_corp"])
    assert client.post(path.format(ref=b_application.reference), {"reason": "x"}).status_code == 404
    b_application.refresh_from_db()
    assert b_application.status == Status.COUNTY_REVIEW


def test_file_url_404_for_other_organisation_and_200_for_owner(client, demo, b_application):
    evidence = b_application.materials.first().evidence
    client.force_login(demo["qindu_corp"])
    assert client.get(f"/applications/files/{evidence.pk}/").status_code == 404
    client.force_login(demo["weicheng_corp"])
    response = client.get(f"/applications/files/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_file_visible_to_scoped_reviewer_only(client, demo, b_application):
    evidence = b_application.materials.first().evidence
    client.force_login(demo["county_weicheng"])
    assert client.get(f"/applications/files/{evidence.pk}/").status_code == 200
    client.force_login(demo["county_qindu"])
    assert client.get(f"/applications/files/{evidence.pk}/").status_code == 404


def test_media_is_not_served_directly(client, demo, b_application):
    evidence = b_application.materials.first().evidence
    client.force_login(demo["weicheng_corp"])
    assert client.get("/media/" + evidence.file.name).status_code == 404


def test_dashboard_lists_only_own(client, demo, application_factory, b_application):
    mine = application_factory()
    client.force_login(demo["qindu_corp"])
    body = client.get("/applications/").content.decode()
    assert mine.reference in body
    assert b_application.reference not in body


def test_api_list_detail_and_actions_are_scoped(demo, application_factory, b_application):
    mine = application_factory()
    api = api_as(demo["qindu_corp"])
    refs = [row["reference"] for row in api.get("/api/v1/applications/").json()["results"]]
    assert refs == [mine.reference]
    ref = b_application.reference
    assert api.get(f"/api/v1/applications/{ref}/").status_code == 404
    assert (
        api.patch(f"/api/v1/applications/{ref}/", {"facts": {}}, format="json").status_code == 404
    )
    assert (
        api.post(
            f"/api/v1/applications/{ref}/submit/",
            {"pledge_accepted": True, "pledge_name": "x"},
            format="json",
        ).status_code
        == 404
    )
    assert api.post(f"/api/v1/applications/{ref}/withdraw/", {}, format="json").status_code == 404
    assert (
        api.post(
            f"/api/v1/applications/{ref}/evidence/", {"material_code": "CERTIFICATE"}
        ).status_code
        == 404
    )


def test_county_reviewer_sees_only_its_county_and_no_drafts(
    demo, application_factory, b_application
):
    draft = application_factory(
        username="weicheng_corp",
        facts={"level": "provincial", "recognised_on": "2025-09-01", "certificate_no": "另一个"},
    )
    refs = {
        row["reference"]
        for row in api_as(demo["county_weicheng"]).get("/api/v1/applications/").json()["results"]
    }
    assert b_application.reference in refs
    assert draft.reference not in refs
    assert api_as(demo["county_qindu"]).get("/api/v1/applications/").json()["results"] == []


def test_api_full_flow_create_upload_submit(demo, open_round_db):
    api = api_as(demo["qindu_corp"])
    created = api.post(
        "/api/v1/applications/",
        {"clause": "M02-SPECIALISED-SME", "facts": {"level": "national"}},
        format="json",
    )
    assert created.status_code == 201
    ref = created.json()["reference"]
    patched = api.patch(
        f"/api/v1/applications/{ref}/",
        {"facts": {"level": "national", "recognised_on": "2025-08-01", "certificate_no": "API-1"}},
        format="json",
    )
    assert patched.json()["computed_amount"] == "200000.00"
    refused = api.post(
        f"/api/v1/applications/{ref}/submit/",
        {"pledge_accepted": True, "pledge_name": "李"},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "incomplete"
    assert "material:CERTIFICATE" in refused.json()["detail"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = api.post(
        f"/api/v1/applications/{ref}/evidence/",
        {"material_code": "CERTIFICATE", "file": SimpleUploadedFile("c.pdf", pdf_bytes())},
        format="multipart",
    )
    assert upload.status_code == 201
    bad = api.post(
        f"/api/v1/applications/{ref}/evidence/",
        {"material_code": "CERTIFICATE", "file": SimpleUploadedFile("c.pdf", image_bytes())},
        format="multipart",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "content_mismatch"
    submitted = api.post(
        f"/api/v1/applications/{ref}/submit/",
        {"pledge_accepted": True, "pledge_name": "李"},
        format="json",
    )
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "county_review"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"clause": "NOPE"}, "clause"),
        ({"facts": {}}, "clause"),
        ({"clause": "M02-SPECIALISED-SME", "facts": "not-a-dict"}, "facts"),
    ],
)
def test_api_bad_bodies_get_error_format(demo, open_round_db, body, field):
    response = api_as(demo["qindu_corp"]).post("/api/v1/applications/", body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert set(data) == {"code", "message", "detail"}
    assert field in data["detail"]


def test_page_flow_save_draft_keeps_input_and_shows_errors(client, demo, application_factory):
    application = application_factory(facts={})
    client.force_login(demo["qindu_corp"])
    url = f"/applications/{application.reference}/edit/"
    response = client.post(
        url,
        {
            "action": "submit",
            "fact_level": "national",
            "fact_recognised_on": "2025-13-45",
            "fact_certificate_no": "文号1",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="文号1"' in body  # what was typed is kept
    assert "pledge_accepted-error" in body or "承诺书" in body
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert application.facts["certificate_no"] == "文号1"


def test_page_bad_upload_reported_next_to_material_and_facts_kept(
    client, demo, application_factory
):
    application = application_factory(facts={})
    client.force_login(demo["qindu_corp"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/applications/{application.reference}/edit/",
        {
            "action": "save",
            "fact_certificate_no": "文号2",
            "file_CERTIFICATE": SimpleUploadedFile("x.pdf", image_bytes()),
        },
    )
    assert response.status_code == 200
    assert "file_CERTIFICATE-error" in response.content.decode()
    application.refresh_from_db()
    assert application.facts["certificate_no"] == "文号2"


def test_preview_fragment_computes_on_server(client, demo, application_factory):
    application = application_factory(facts={})
    client.force_login(demo["qindu_corp"])
    response = client.post(
        f"/applications/{application.reference}/preview/",
        {
            "fact_level": "provincial",
            "fact_recognised_on": "2025-08-01",
            "fact_certificate_no": "x",
        },
    )
    assert "¥100,000.00" in response.content.decode()


def test_dashboard_follows_the_language_switch(client, demo, application_factory):
    application_factory(submit=True)
    client.force_login(demo["qindu_corp"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/applications/").content.decode()
    assert "My applications" in body
    assert "等待县区初审" not in body  # the "what you need to do" column is translated too


def test_saving_a_draft_with_a_wrong_value_keeps_it_and_says_so(client, demo, application_factory):
    """Saved as typed, but "草稿已保存" alone, with the field's warning gone, hid the error."""
    application = application_factory(facts={})
    client.force_login(demo["qindu_corp"])
    response = client.post(
        f"/applications/{application.reference}/edit/",
        {"action": "save", "fact_level": "national", "fact_recognised_on": "2025-13-45"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "草稿已保存，但有填写内容有误" in body
    assert 'id="id_fact_recognised_on-error"' in body  # shown at its field
    application.refresh_from_db()
    assert application.facts["recognised_on"] == "2025-13-45"  # nothing typed is lost

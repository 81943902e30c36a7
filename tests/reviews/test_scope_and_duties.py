"""Scopes (county, department), separation of duties and conflicts of interest."""

from collections import Counter

import pytest

from accounts.models import Department, Membership, Organisation, RoleAssignment
from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Application, ApplicationSummary, Status
from core.errors import NotAllowed
from tests.helpers import api_as


def test_county_cannot_see_or_act_on_another_county(case_factory, demo, client):
    case = case_factory(Status.COUNTY_REVIEW, username="weicheng_corp")
    client.force_login(demo["county_qindu"])
    assert client.get(f"/reviews/cases/{case.reference}/").status_code == 404
    assert (
        client.post(
            f"/reviews/cases/{case.reference}/act/", {"action": "pass", "revision": case.revision}
        ).status_code
        == 404
    )
    assert case.reference not in client.get("/reviews/").content.decode()
    assert (
        api_as(demo["county_qindu"]).get(f"/api/v1/reviews/cases/{case.reference}/").status_code
        == 404
    )
    with pytest.raises(NotAllowed):
        application_transition(
            actor=demo["county_qindu"],
            application_id=case.pk,
            request=TransitionRequest(Action.PASS),
        )
    case.refresh_from_db()
    assert case.status == Status.COUNTY_REVIEW


def test_county_reviewer_acts_on_own_county(case_factory, demo, client):
    case = case_factory(Status.COUNTY_REVIEW, username="weicheng_corp")
    client.force_login(demo["county_weicheng"])
    assert case.reference in client.get("/reviews/").content.decode()
    response = client.post(
        f"/reviews/cases/{case.reference}/act/",
        {"action": "pass", "revision": case.revision, "comment": "材料齐全"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DEPARTMENT_REVIEW


def test_department_only_on_its_own_measures(case_factory, demo):
    miit_case = case_factory(Status.DEPARTMENT_REVIEW)
    sci = api_as(demo["dept_sci"])
    assert sci.get(f"/api/v1/reviews/cases/{miit_case.reference}/").status_code == 404
    with pytest.raises(NotAllowed):
        application_transition(
            actor=demo["dept_sci"],
            application_id=miit_case.pk,
            request=TransitionRequest(Action.RECOMMEND, amount="1"),
        )
    body = api_as(demo["dept_miit"]).get("/api/v1/reviews/queue/").json()
    assert [row["reference"] for row in body["results"]] == [miit_case.reference]


def test_same_person_cannot_act_at_two_levels(case_factory, demo):
    reviewer = demo["county_qindu"]
    RoleAssignment.objects.create(
        user=reviewer, role="department_reviewer", department=Department.objects.get(code="miit")
    )
    case = case_factory(Status.COUNTY_REVIEW)
    application_transition(
        actor=reviewer, application_id=case.pk, request=TransitionRequest(Action.PASS)
    )
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)  # fresh scopes
    with pytest.raises(NotAllowed) as info:
        application_transition(
            actor=reviewer,
            application_id=case.pk,
            request=TransitionRequest(Action.RECOMMEND, amount="100000"),
        )
    assert info.value.code == "separation_of_duties"
    case.refresh_from_db()
    assert case.status == Status.DEPARTMENT_REVIEW


def test_reviewer_member_of_applicant_cannot_act(case_factory, demo):
    case = case_factory(Status.COUNTY_REVIEW)
    Membership.objects.create(
        user=demo["county_qindu"], organisation=Organisation.objects.get(pk=case.organisation_id)
    )
    reviewer = type(demo["county_qindu"]).objects.get(pk=demo["county_qindu"].pk)
    with pytest.raises(NotAllowed) as info:
        application_transition(
            actor=reviewer, application_id=case.pk, request=TransitionRequest(Action.PASS)
        )
    assert info.value.code == "conflict_of_interest"


def test_auditor_reads_everything_changes_nothing(case_factory, demo, client):
    case = case_factory(Status.APPROVAL, recommended="150000")
    client.force_login(demo["auditor"])
    assert client.get(f"/reviews/cases/{case.reference}/").status_code == 200
    with pytest.raises(NotAllowed):
        application_transition(
            actor=demo["auditor"],
            application_id=case.pk,
            request=TransitionRequest(Action.APPROVE, amount="150000"),
        )


@pytest.mark.parametrize("username", ["qindu_corp", "finance", "policy_admin"])
def test_queue_closed_to_non_reviewers(demo, client, username):
    client.force_login(demo[username])
    assert client.get("/reviews/").status_code == 403
    assert api_as(demo[username]).get("/api/v1/reviews/queue/").status_code == 403


def test_bulk_mixed_states_reports_per_item(case_factory, demo):
    ok = case_factory(Status.COUNTY_REVIEW)
    wrong_state = case_factory(Status.DEPARTMENT_REVIEW)
    foreign = case_factory(Status.COUNTY_REVIEW, username="weicheng_corp")
    body = (
        api_as(demo["county_qindu"])
        .post(
            "/api/v1/reviews/bulk/",
            {
                "action": "pass",
                "references": [ok.reference, wrong_state.reference, foreign.reference, "SBNOTHING"],
            },
            format="json",
        )
        .json()
    )
    results = {r["reference"]: r for r in body["results"]}
    assert results[ok.reference]["ok"] is True
    assert (
        results[wrong_state.reference]["ok"] is False
        and "不能执行" in results[wrong_state.reference]["message"]
    )
    assert results[foreign.reference]["ok"] is False
    assert results["SBNOTHING"]["ok"] is False
    wrong_state.refresh_from_db()
    assert wrong_state.status == Status.DEPARTMENT_REVIEW


def test_bulk_page_shows_results(case_factory, demo, client):
    a, b = case_factory(Status.COUNTY_REVIEW), case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    response = client.post(
        "/reviews/bulk/",
        {"action": "pass", "selected": [a.reference, b.reference], "comment": "批量通过"},
    )
    assert response.status_code == 200
    assert response.content.decode().count("成功") >= 2


def test_return_requires_reason_and_records_per_material(case_factory, demo, client):
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    refused = client.post(
        f"/reviews/cases/{case.reference}/act/",
        {"action": "return", "revision": case.revision},
        follow=True,
    )
    assert "须填写理由" in refused.content.decode()
    client.post(
        f"/reviews/cases/{case.reference}/act/",
        {
            "action": "return",
            "revision": case.revision,
            "comment": "请补正",
            "correction_CERTIFICATE": "证书需加盖公章",
        },
    )
    case.refresh_from_db()
    assert case.status == Status.RETURNED
    assert case.correction_requests == {"CERTIFICATE": "证书需加盖公章"}


def test_api_action_bad_body(case_factory, demo):
    case = case_factory(Status.COUNTY_REVIEW)
    response = api_as(demo["county_qindu"]).post(
        f"/api/v1/reviews/cases/{case.reference}/actions/", {"action": "fly"}, format="json"
    )
    assert response.status_code == 400
    assert "action" in response.json()["detail"]


def test_county_scope_follows_the_organisation_when_its_place_changes(case_factory, demo, client):
    """The application keeps a copy of its organisation's place (the county queue's index);
    moving the organisation through the admin service moves its cases to the other county."""
    from accounts import services as account_services
    from accounts.models import Place
    from reviews.selectors import queue_status_counts

    case = case_factory(Status.COUNTY_REVIEW, username="weicheng_corp")
    organisation = case.organisation
    qindu = Place.objects.get(pk=RoleAssignment.objects.get(user=demo["county_qindu"]).place_id)
    assert organisation.place_id != qindu.pk and case.place_id == organisation.place_id
    assert case.reference not in client_page(client, demo["county_qindu"])
    weicheng = organisation.place
    before = queue_status_counts(user=demo["county_weicheng"])[Status.COUNTY_REVIEW]

    account_services.organisation_update_by_admin(
        actor=demo["policy_admin"], organisation=organisation, data={"place": qindu}
    )
    case.refresh_from_db()
    assert case.place_id == qindu.pk
    assert case.reference in client_page(client, demo["county_qindu"])
    assert case.reference not in client_page(client, demo["county_weicheng"])
    api = api_as(demo["county_qindu"]).get("/api/v1/reviews/queue/").json()
    assert case.reference in [r["reference"] for r in api["results"]]
    assert (
        api_as(demo["county_qindu"]).get(f"/api/v1/reviews/cases/{case.reference}/").status_code
        == 200
    )
    assert (
        api_as(demo["county_weicheng"]).get(f"/api/v1/reviews/cases/{case.reference}/").status_code
        == 404
    )
    # The summary cells moved with it: both counties' badges equal a direct count of the cases
    # by their organisation's place, and every cell still equals a direct count.
    for place, user in ((qindu, "county_qindu"), (weicheng, "county_weicheng")):
        direct = Application.objects.filter(
            organisation__place=place, status=Status.COUNTY_REVIEW
        ).count()
        assert queue_status_counts(user=demo[user]).get(Status.COUNTY_REVIEW, 0) == direct
    assert (
        queue_status_counts(user=demo["county_weicheng"]).get(Status.COUNTY_REVIEW, 0) == before - 1
    )
    cells = Counter()
    for cell in ApplicationSummary.objects.all():
        cells[(cell.round_id, cell.measure_id, cell.department_id, cell.place_id, cell.status)] += (
            cell.count
        )
    direct_cells = Counter(
        (a.round_id, a.clause.measure_id, a.clause.department_id, a.organisation.place_id, a.status)
        for a in Application.objects.exclude(status=Status.DRAFT).select_related(
            "clause", "organisation"
        )
    )
    assert +cells == direct_cells


def client_page(client, user) -> str:
    client.force_login(user)
    return client.get("/reviews/").content.decode()

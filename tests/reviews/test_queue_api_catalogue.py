"""The queue API's clause, round and rule version come from the catalogue cache: a catalogue
edit shows at once, and a row the cache does not know yet is still shown right."""

from __future__ import annotations

from applications.models import Application, Status
from measures.models import Round


def _row(client, reference: str) -> dict:
    response = client.get("/api/v1/reviews/queue/?_all=1")
    assert response.status_code == 200
    return next(r for r in response.json()["results"] if r["reference"] == reference)


def test_catalogue_edit_shows_at_once(case_factory, demo, client):
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    row = _row(client, case.reference)
    assert row["round"] == case.round.name
    assert row["clause"] == case.clause.code
    assert row["rule_version"] == case.rule_version.number
    round_ = Round.objects.get(pk=case.round_id)
    round_.name = "改名后的批次"
    round_.save()  # moves the catalogue version on
    assert _row(client, case.reference)["round"] == "改名后的批次"


def test_round_unknown_to_the_cache_is_read(case_factory, demo, client):
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    _row(client, case.reference)  # the catalogue columns are cached now
    source = Round.objects.get(pk=case.round_id)
    # Written without signals (bulk_create): the cached catalogue does not know this round.
    [new] = Round.objects.bulk_create(
        [
            Round(
                policy_id=source.policy_id,
                name="未经信号的批次",
                opens_at=source.opens_at,
                closes_at=source.closes_at,
            )
        ]
    )
    Application.objects.filter(pk=case.pk).update(round=new)
    assert _row(client, case.reference)["round"] == "未经信号的批次"


def test_filter_form_markup_follows_the_catalogue_and_the_values(case_factory, demo, client):
    """The queue's filter fields are kept rendered per catalogue version, language and
    submitted values: a new round shows at once, and a chosen one stays selected."""
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    assert "筛选用的新批次" not in client.get("/reviews/").content.decode()
    source = Round.objects.get(pk=case.round_id)
    new = Round.objects.create(  # a catalogue write: the version moves on
        policy_id=source.policy_id,
        name="筛选用的新批次",
        opens_at=source.opens_at,
        closes_at=source.closes_at,
    )
    html = client.get("/reviews/").content.decode()
    assert f'<option value="{new.pk}">' in html
    chosen = client.get(f"/reviews/?round={new.pk}").content.decode()
    assert f'<option value="{new.pk}" selected>' in chosen
    assert f'<option value="{new.pk}">' in client.get("/reviews/").content.decode()

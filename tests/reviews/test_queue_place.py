"""Queue rows show the application's own place (Application.place, which scopes the queues),
not its organisation's, on the page and in the API."""

from __future__ import annotations

from accounts.models import Organisation, Place
from applications.models import Status


def test_queue_rows_show_the_applications_place(case_factory, demo, client):
    case = case_factory(Status.COUNTY_REVIEW)
    own = Place.objects.get(pk=case.place_id)
    other = Place.objects.exclude(pk=own.pk).first()
    # The organisation's place differs from the application's copy (no service moves it).
    Organisation.objects.filter(pk=case.organisation_id).update(place=other)
    client.force_login(demo["county_qindu"])

    api = client.get("/api/v1/reviews/queue/?_all=1").json()["results"]
    [row] = [r for r in api if r["reference"] == case.reference]
    assert row["county"] == own.name

    html = client.get("/reviews/?_all=1").content.decode()
    start = html.index(f'<tr data-reference="{case.reference}">')
    cells = html[start : html.index("</tr>", start)]
    assert f"<td>{own.name}</td>" in cells
    assert other.name not in cells

"""The queue's counts (status badges and a count from the summaries) are cached per summaries
version: after a move they are the direct counts again, never the cached ones."""

from __future__ import annotations

import re
from collections import Counter

from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Status
from reviews.selectors import queue_status_counts, review_cases_visible_to


def _direct(user) -> dict:
    return dict(Counter(review_cases_visible_to(user=user).values_list("status", flat=True)))


def _shown_count(client, url: str) -> int:
    html = client.get(url).content.decode()
    return int(re.search(r"共 (\d+) 条", html).group(1))


def test_counts_follow_each_move(case_factory, demo, client):
    county = demo["county_qindu"]
    cases = [case_factory(Status.COUNTY_REVIEW) for _ in range(3)]
    measure = cases[0].clause.measure_id
    client.force_login(county)
    by_measure = f"/reviews/?measure={measure}&_all=1"

    before = queue_status_counts(user=county)
    assert before == _direct(county)
    assert before[Status.COUNTY_REVIEW] >= 3
    shown = _shown_count(client, by_measure)  # from the summaries, now cached
    with CaptureQueriesContext(connection) as ctx:
        assert queue_status_counts(user=county) == before  # the cached figure, unchanged
    # Served from the cache: the summaries version is read, the cells are not summed again.
    assert not [q for q in ctx.captured_queries if "applicationsummary" in q["sql"]]

    application_transition(
        actor=county,
        application_id=cases[0].pk,
        request=TransitionRequest(Action.REJECT, comment="不符合条件"),
    )
    after = queue_status_counts(user=county)
    assert after == _direct(county)
    assert after[Status.COUNTY_REVIEW] == before[Status.COUNTY_REVIEW] - 1
    assert after.get(Status.REJECTED, 0) == before.get(Status.REJECTED, 0) + 1
    # The measure's count counts every status but drafts: the same total after a rejection.
    assert _shown_count(client, by_measure) == shown
    waiting = review_cases_visible_to(user=county).filter(
        clause__measure_id=measure, status=Status.COUNTY_REVIEW
    )
    assert _shown_count(client, f"{by_measure}&status={Status.COUNTY_REVIEW}") == waiting.count()

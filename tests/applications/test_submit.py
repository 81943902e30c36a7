"""Submit refusals, duplicates, idempotency, drafts, corrections, withdrawal, notifications."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from applications import services
from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Application, DuplicateFlag, Status
from core.errors import DomainError, NotAllowed
from tests.conftest import SPECIALISED_SME_FACTS

# M02-QUALITY-BENCHMARK's facts on the certificate of SPECIALISED_SME_FACTS.
SAME_CERTIFICATE_OTHER_CLAUSE = {
    "level": "provincial",
    "recognised_on": "2025-09-01",
    "certificate_no": SPECIALISED_SME_FACTS["certificate_no"],
}


def _submit(application, user):
    return services.application_submit(
        actor=user, application_id=application.pk, pledge_accepted=True, pledge_name="张三"
    )


def test_submit_moves_to_county_review_with_frozen_rule_version(application_factory, demo):
    application = _submit(application_factory(), demo["qindu_corp"])
    assert application.status == Status.COUNTY_REVIEW
    assert application.computed_amount == 200000
    assert application.amount_kind == "ceiling"
    assert application.pledge_name == "张三" and application.pledged_at is not None
    assert application.rule_version.number == 1
    assert application.basis == SPECIALISED_SME_FACTS["certificate_no"]


def test_park_clause_goes_straight_to_department(application_factory, demo):
    facts = {"region_name": "咸阳高新区", "turnover_2024": "12000000"}
    application = application_factory(
        clause_code="M01-TECH-CONTRACT-TURNOVER", username="hitech_park", facts=facts
    )
    application = _submit(application, demo["hitech_park"])
    assert application.status == Status.DEPARTMENT_REVIEW


def test_submit_refused_when_round_closed(application_factory, demo):
    application = application_factory()
    round_ = application.round
    round_.closes_at = timezone.now() - timedelta(minutes=1)
    round_.opens_at = round_.closes_at - timedelta(days=10)
    round_.save()
    with pytest.raises(DomainError) as info:
        _submit(application, demo["qindu_corp"])
    assert info.value.code == "round_closed"
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT


def test_submit_refused_for_event_outside_validity(application_factory, demo):
    application = application_factory(
        facts={**SPECIALISED_SME_FACTS, "recognised_on": "2026-01-01"}
    )
    with pytest.raises(DomainError) as info:
        _submit(application, demo["qindu_corp"])
    assert info.value.code == "not_eligible"
    assert "有效期" in info.value.message


def test_wrong_applicant_type_cannot_start(demo, open_round_db):
    from accounts.models import Organisation
    from measures.models import Clause

    park = Organisation.objects.get(legal_name="咸阳高新区管委会")
    clause = Clause.objects.get(code="M02-SPECIALISED-SME")
    with pytest.raises(DomainError) as info:
        services.application_start(actor=demo["hitech_park"], organisation=park, clause=clause)
    assert info.value.code == "wrong_applicant_type"


def _refused_incomplete(application_factory, demo) -> DomainError:
    """A submit without the certificate, two facts and the pledge."""
    application = application_factory(facts={"level": "national"})
    application.materials.all().delete()
    with pytest.raises(DomainError) as info:
        services.application_submit(
            actor=demo["qindu_corp"],
            application_id=application.pk,
            pledge_accepted=False,
            pledge_name="",
        )
    return info.value


def test_missing_material_and_facts_reported_all_at_once(application_factory, demo):
    refusal = _refused_incomplete(application_factory, demo)
    detail = refusal.detail
    assert "material:CERTIFICATE" in detail
    assert "fact:recognised_on" in detail and "fact:certificate_no" in detail
    assert "pledge" in detail
    assert refusal.code == "incomplete"


def test_hard_duplicate_same_basis_blocks(application_factory, demo):
    _submit(application_factory(), demo["qindu_corp"])
    second = application_factory()
    with pytest.raises(DomainError) as info:
        _submit(second, demo["qindu_corp"])
    assert info.value.code == "duplicate"
    assert "不能重复申报" in info.value.message


def test_first_time_clause_blocked_by_earlier_award(application_factory, demo):
    first = application_factory(submit=True)  # the reservation is taken at submit
    Application.objects.filter(pk=first.pk).update(status=Status.APPROVED, approved_amount=150000)
    second = application_factory(facts={**SPECIALISED_SME_FACTS, "certificate_no": "新证书"})
    with pytest.raises(DomainError) as info:
        _submit(second, demo["qindu_corp"])
    assert info.value.code == "not_eligible"
    assert "首次" in info.value.message


def test_cumulative_cap_across_two_applications(application_factory, demo):
    facts = {
        "level": "national",
        "product_count": "4",
        "product_names": "甲、乙、丙、丁",
        "recognised_on": "2025-09-01",
    }
    first = application_factory(clause_code="M14-GREEN-DESIGN-PRODUCT", facts=facts)
    first = _submit(first, demo["qindu_corp"])
    assert first.computed_amount == 200000
    Application.objects.filter(pk=first.pk).update(status=Status.APPROVED, approved_amount=200000)
    second = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT",
        facts={**facts, "product_count": "3", "product_names": "戊、己、庚"},
    )
    second = _submit(second, demo["qindu_corp"])
    assert second.computed_amount == 100000  # 30万 cap − 20万 earlier
    assert any("累计" in r for r in second.evaluation["reasons"])


def test_declared_other_funding_is_flagged_for_reviewer(application_factory, demo):
    application = application_factory()
    services.application_save_draft(
        actor=demo["qindu_corp"],
        application_id=application.pk,
        raw_facts=SPECIALISED_SME_FACTS,
        other_funding_declared=True,
        other_funding_detail="2025年市级技改资金10万元",
    )
    _submit(application, demo["qindu_corp"])
    flag = DuplicateFlag.objects.get(application=application)
    assert flag.kind == "other_municipal_funding"
    assert "技改资金" in flag.message


def test_same_basis_on_other_clause_is_a_possible_duplicate(application_factory, demo):
    first = _submit(application_factory(), demo["qindu_corp"])
    other = application_factory(
        clause_code="M02-QUALITY-BENCHMARK", facts=dict(SAME_CERTIFICATE_OTHER_CLAUSE)
    )
    other = _submit(other, demo["qindu_corp"])
    flag = DuplicateFlag.objects.get(application=other)
    assert flag.other_id == first.pk
    assert flag.kind == "same_basis_other_clause"


def test_double_submit_is_idempotent(application_factory, demo):
    application = application_factory()
    first = _submit(application, demo["qindu_corp"])
    again = _submit(application, demo["qindu_corp"])
    assert first.pk == again.pk and again.status == Status.COUNTY_REVIEW
    from audit.models import AuditEvent

    assert (
        AuditEvent.objects.filter(
            action="application.submit", object_id=str(application.pk)
        ).count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_give_one_submission(application_factory, demo):
    application = application_factory()
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            results.append(_submit(application, demo["qindu_corp"]).status)
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [Status.COUNTY_REVIEW, Status.COUNTY_REVIEW]
    from audit.models import AuditEvent

    assert (
        AuditEvent.objects.filter(
            action="application.submit", object_id=str(application.pk)
        ).count()
        == 1
    )


def test_draft_save_is_lenient_and_resumable(application_factory, demo):
    application = application_factory(facts={"level": "national"})
    assert application.status == Status.DRAFT
    assert application.facts == {"level": "national"}
    services.application_save_draft(
        actor=demo["qindu_corp"],
        application_id=application.pk,
        raw_facts={"level": "bogus", "certificate_no": "X"},
    )
    application.refresh_from_db()
    assert application.facts == {"level": "bogus", "certificate_no": "X"}  # kept as typed


def test_correction_keeps_versions_and_returns_to_same_stage(application_factory, demo):
    from tests.applications.files import pdf_bytes, upload

    application = _submit(application_factory(), demo["qindu_corp"])
    application = application_transition(
        actor=demo["county_qindu"],
        application_id=application.pk,
        request=TransitionRequest(Action.PASS, comment="初审通过"),
    )
    application = application_transition(
        actor=demo["dept_miit"],
        application_id=application.pk,
        request=TransitionRequest(
            Action.RETURN, comment="证书不清晰", corrections={"CERTIFICATE": "请上传清晰的认定文件"}
        ),
    )
    assert application.status == Status.RETURNED
    assert application.correction_requests == {"CERTIFICATE": "请上传清晰的认定文件"}
    services.application_attach_upload(
        actor=demo["qindu_corp"],
        application_id=application.pk,
        material_code="CERTIFICATE",
        upload=upload("clear.pdf", pdf_bytes(2)),
    )
    application = services.application_resubmit(
        actor=demo["qindu_corp"], application_id=application.pk
    )
    assert application.status == Status.DEPARTMENT_REVIEW
    versions = list(
        application.materials.filter(material_code="CERTIFICATE")
        .order_by("version")
        .values_list("version", "is_current")
    )
    assert versions == [(1, False), (2, True)]


def test_withdraw_before_decision_only(application_factory, demo):
    application = _submit(application_factory(), demo["qindu_corp"])
    withdrawn = services.application_withdraw(
        actor=demo["qindu_corp"], application_id=application.pk, reason="重复"
    )
    assert withdrawn.status == Status.WITHDRAWN
    with pytest.raises(DomainError) as info:
        services.application_withdraw(actor=demo["qindu_corp"], application_id=application.pk)
    assert info.value.code == "invalid_transition"


def test_other_organisation_cannot_act(application_factory, demo):
    application = application_factory()
    with pytest.raises(NotAllowed):
        services.application_save_draft(
            actor=demo["weicheng_corp"], application_id=application.pk, raw_facts={}
        )
    with pytest.raises(NotAllowed):
        services.application_withdraw(actor=demo["weicheng_corp"], application_id=application.pk)


def test_notification_task_queued_on_commit_only(
    application_factory, demo, django_capture_on_commit_callbacks, mailoutbox
):
    application = application_factory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _submit(application, demo["qindu_corp"])
    # The notification's callback, the dashboards' summaries version and the second look for
    # duplicates (all after the commit): nothing is sent before the commit, one mail after it.
    assert len(callbacks) == 3
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    assert "县区初审" in mailoutbox[0].subject


def test_rolled_back_transition_queues_nothing(
    application_factory, demo, django_capture_on_commit_callbacks
):
    application = application_factory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(DomainError):
        services.application_submit(
            actor=demo["qindu_corp"],
            application_id=application.pk,
            pledge_accepted=False,
            pledge_name="",
        )
    assert callbacks == []


def test_the_refusal_summary_counts_every_problem_and_names_the_first_three(
    application_factory, demo
):
    refusal = _refused_incomplete(application_factory, demo)
    every = [m for messages in refusal.detail.values() for m in messages]
    assert len(every) >= 4  # a material, two facts and the pledge
    message = refusal.message
    assert message.startswith(f"申报材料不完整（共{len(every)}处）：")
    for named in every[:3]:
        assert named.rstrip("。") in message
    assert every[3].rstrip("。") not in message
    assert message.endswith("；等。")


@pytest.mark.parametrize(
    ("problems", "expected"),
    [
        # Hand-written: English counts its nouns; Chinese has one form.
        ({"pledge": ["请勾选承诺。"]}, "The application is incomplete (1 issue): "),
        ({"a": ["x。"], "b": ["y。"]}, "The application is incomplete (2 issues): "),
    ],
)
def test_the_refusal_summary_counts_in_english_grammar(problems, expected):
    from django.utils import translation

    with translation.override("en"):
        assert services.incomplete_message(problems).startswith(expected)


@pytest.mark.django_db(transaction=True)
def test_two_cases_submitted_at_once_still_flag_each_other(application_factory, demo, monkeypatch):
    """Each submit looked for the other while both were drafts, so neither was flagged."""
    from applications import duplicates

    first = application_factory()
    other = application_factory(
        clause_code="M02-QUALITY-BENCHMARK", facts=dict(SAME_CERTIFICATE_OTHER_CLAUSE)
    )
    barrier = threading.Barrier(2)
    waited = threading.local()
    find = duplicates.find_duplicates

    def find_together(application):
        # Both submits read the other before either commits: the race, made certain.
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=30)
        return find(application)

    monkeypatch.setattr(duplicates, "find_duplicates", find_together)
    errors = []

    def worker(application):
        try:
            _submit(application, demo["qindu_corp"])
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(a,)) for a in (first, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    flags = set(DuplicateFlag.objects.values_list("application_id", "other_id", "kind"))
    assert flags == {
        (first.pk, other.pk, "same_basis_other_clause"),
        (other.pk, first.pk, "same_basis_other_clause"),
    }


def test_flags_about_each_other_are_written_in_one_order(application_factory, demo, monkeypatch):
    """Two cases flagged about each other at once wrote the pair in opposite orders and
    deadlocked on the unique index; both now write the lower case's row first."""
    from applications import duplicates

    first = application_factory()
    second = application_factory(facts={**SPECIALISED_SME_FACTS, "certificate_no": "另一证书"})
    written = []
    get_or_create = DuplicateFlag.objects.get_or_create

    def recording(**kwargs):
        written.append((kwargs["application"].pk, kwargs["other"].pk))
        return get_or_create(**kwargs)

    monkeypatch.setattr(DuplicateFlag.objects, "get_or_create", recording)
    kind = "same_clause_same_round"
    duplicates.record_flags(second, [duplicates.Finding(kind, False, "…", first)])
    duplicates.record_flags(first, [duplicates.Finding(kind, False, "…", second)])
    low, high = sorted((first.pk, second.pk))
    assert written == [(low, high), (high, low), (low, high), (high, low)]
    assert DuplicateFlag.objects.count() == 2

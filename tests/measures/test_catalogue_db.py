"""The real catalogue in the database: loader, versions, a 2026 policy beside 2025."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from measures.demo import CATALOGUE
from measures.models import Clause, ClauseVersion, Measure, Policy
from measures.services import clause_rule_update

pytestmark = pytest.mark.django_db


def test_real_catalogue_loads_25_measures_and_every_monetary_one_has_clauses(policy):
    measures = Measure.objects.filter(policy=policy)
    assert sorted(measures.values_list("number", flat=True)) == list(range(1, 26))
    assert set(measures.filter(monetary=False).values_list("number", flat=True)) == {
        8,
        9,
        21,
        22,
        23,
        25,
    }
    for measure in measures.filter(monetary=True):
        assert measure.clauses.exists(), measure
    assert policy.document_number == "咸工信发〔2025〕70号"
    assert str(policy.valid_to) == "2025-12-31"
    assert policy.sections.count() == 7


def test_loader_command_is_idempotent(policy, capsys):
    before = (Clause.objects.count(), ClauseVersion.objects.count())
    call_command("load_policy", str(CATALOGUE))
    assert "0 rule versions created" in capsys.readouterr().out
    assert (Clause.objects.count(), ClauseVersion.objects.count()) == before


def test_loader_refuses_invalid_file_with_line_numbers(tmp_path: Path, db):
    bad = CATALOGUE.read_text(encoding="utf-8").replace(
        "kind: ceiling, amount: 200000", "kind: ceilng, amount: 200000", 1
    )
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("load_policy", str(path))
    assert "行" in str(info.value)
    assert "ceilng" in str(info.value)
    assert not Policy.objects.exists()  # nothing half-loaded


def test_loader_refuses_unreadable_file(tmp_path, db):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CommandError, match="无法读取"):
        call_command("load_policy", str(path))


def _edited(clause, amount):
    data = dict(clause.current_version.rule_data)
    reward = dict(data["reward"])
    tiers = dict(reward["tiers"])
    tiers["national"] = {**tiers["national"], "amount": amount}
    reward["tiers"] = tiers
    data["reward"] = reward
    return data


def test_editing_unused_version_updates_in_place(policy, demo):
    clause = Clause.objects.get(code="M02-SPECIALISED-SME")
    version = clause_rule_update(
        actor=demo["policy_admin"], clause=clause, rule_data=_edited(clause, "250000")
    )
    assert version.number == 1
    assert ClauseVersion.objects.filter(clause=clause).count() == 1


def test_editing_used_version_creates_new_version_and_keeps_history(
    policy, demo, application_factory
):
    clause = Clause.objects.get(code="M02-SPECIALISED-SME")
    application = application_factory(clause_code="M02-SPECIALISED-SME")
    old_version = application.rule_version
    version = clause_rule_update(
        actor=demo["policy_admin"], clause=clause, rule_data=_edited(clause, "250000")
    )
    assert version.number == 2
    application.refresh_from_db()
    assert application.rule_version == old_version
    assert old_version.rule.reward.tier("national").amount == 200000
    assert version.rule.reward.tier("national").amount == 250000


def test_invalid_admin_edit_is_refused_with_message(policy, demo):
    from core.errors import DomainError

    clause = Clause.objects.get(code="M02-SPECIALISED-SME")
    data = _edited(clause, "-5")
    with pytest.raises(DomainError) as info:
        clause_rule_update(actor=demo["policy_admin"], clause=clause, rule_data=data)
    assert "规则无效" in info.value.message
    assert clause.current_version.rule_data["reward"]["tiers"]["national"]["amount"] == "200000.00"


def test_2026_policy_beside_2025(policy):
    from measures.rules.catalogue import parse_catalogue
    from measures.services import policy_load_catalogue

    text = CATALOGUE.read_text(encoding="utf-8")
    text = text.replace("code: xianyang-2025", "code: xianyang-2026", 1).replace(
        "咸工信发〔2025〕70号", "咸工信发〔2026〕12号"
    )
    policy_load_catalogue(catalogue=parse_catalogue(text), source_text=text)
    assert Policy.objects.count() == 2
    assert Clause.objects.filter(code="M02-SPECIALISED-SME").count() == 2


def test_admin_clause_edit_through_yaml(policy, demo, client):
    import yaml

    client.force_login(demo["policy_admin"])
    clause = Clause.objects.get(code="M02-SPECIALISED-SME")
    url = f"/admin/measures/clause/{clause.pk}/change/"
    assert client.get(url).status_code == 200
    broken = client.post(url, {"rule_yaml": "reward: [unclosed", "change_note": "x"})
    assert broken.status_code == 200
    assert "YAML语法错误" in broken.content.decode()  # the catalogue file's own checks
    data = _edited(clause, "260000")
    ok = client.post(
        url, {"rule_yaml": yaml.safe_dump(data, allow_unicode=True), "change_note": "上调"}
    )
    assert ok.status_code == 302
    clause.refresh_from_db()
    assert clause.current_version.rule.reward.tier("national").amount == 260000


def test_admin_is_closed_to_other_roles(policy, demo, client):
    client.force_login(demo["approver"])
    assert client.get("/admin/measures/clause/").status_code in (302, 403)

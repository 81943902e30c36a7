"""一企一档: the enterprise keeps its scale (企业规模) on its profile; clauses asking for it are pre-filled."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts import services as account_services
from accounts.forms import OrganisationProfileForm
from accounts.models import Organisation
from applications.services import facts_from_profile
from audit.models import AuditEvent
from core.errors import NotAllowed
from measures.rules.types import FactSpec, TierChoice

# 《统计上大中小微型企业划分办法（2017）》 divides enterprises into these four sizes.
SIZES = [("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型")]


def test_the_four_sizes_of_the_statistical_classification():
    assert [(c.value, str(c.label)) for c in Organisation.Scale] == SIZES
    assert "scale" in OrganisationProfileForm.Meta.fields  # editable on the profile page


def test_enterprise_sets_its_scale_through_the_profile_service(demo, client):
    user = demo["qindu_corp"]
    organisation = Organisation.objects.get(memberships__user=user)
    account_services.organisation_update_profile(
        actor=user, organisation=organisation, data={"scale": "small"}
    )
    organisation.refresh_from_db()
    assert organisation.scale == "small"
    event = AuditEvent.objects.filter(action="organisation.update").latest("pk")
    assert event.after == {"scale": "small"}
    with pytest.raises(NotAllowed):  # another enterprise cannot change it
        account_services.organisation_update_profile(
            actor=demo["weicheng_corp"],
            organisation=organisation,
            data={"scale": "large"},
        )
    client.force_login(user)
    page = client.get("/integrations/profile/").content.decode()
    assert "企业规模" in page and "小型" in page
    form_page = client.get("/accounts/organisation/").content.decode()
    assert 'name="scale"' in form_page


@dataclass
class _Rule:
    """The part of a clause rule facts_from_profile reads: its fact specs by name."""

    specs: tuple[FactSpec, ...]

    def fact(self, name):
        return next((s for s in self.specs if s.name == name), None)


SCALE_FACT = FactSpec(
    name="enterprise_scale",
    kind="choice",
    label="企业规模",
    choices=(TierChoice("small", "小型"), TierChoice("micro", "微型")),
)


def test_clause_asking_for_the_scale_is_prefilled(demo):
    organisation = Organisation.objects.get(memberships__user=demo["qindu_corp"])
    organisation.scale, organisation.industry = "small", "专用设备制造业"
    industry = FactSpec(name="industry", kind="text", label="所属行业")
    assert facts_from_profile(_Rule((SCALE_FACT, industry)), organisation) == {
        "enterprise_scale": "small",
        "industry": "专用设备制造业",
    }
    organisation.scale = "large"  # not a size this (small and micro only) clause offers
    assert facts_from_profile(_Rule((SCALE_FACT,)), organisation) == {}
    organisation.scale = ""
    assert facts_from_profile(_Rule((SCALE_FACT,)), organisation) == {}
    assert facts_from_profile(_Rule(()), organisation) == {}  # the clause does not ask


def test_a_blank_choice_reads_please_choose_not_dashes(demo, client):
    client.force_login(demo["qindu_corp"])
    page = client.get("/accounts/organisation/").content.decode()
    scale = page[page.index('name="scale"') :]
    scale = scale[: scale.index("</select>")]
    assert '<option value="">请选择</option>' in scale.replace(" selected", "")
    assert "---------" not in page


def test_an_industrial_profile_answers_the_industrial_fact(demo):
    organisation = Organisation.objects.get(memberships__user=demo["qindu_corp"])
    fact = FactSpec(name="industrial_enterprise", kind="bool", label="申报单位为工业企业")
    organisation.is_industrial = True
    assert facts_from_profile(_Rule((fact,)), organisation) == {"industrial_enterprise": "是"}
    organisation.is_industrial = False  # left to the enterprise, not answered "否"
    assert facts_from_profile(_Rule((fact,)), organisation) == {}

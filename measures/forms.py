"""Forms generated from a clause's facts; the engine's clean_facts is the one validator."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.forms import PortalForm

from .rules.engine import clean_facts
from .rules.procurement import BUDGET_MAX, BUDGET_MIN
from .rules.types import ClauseRule, FactsError, FactSpec

FACT_PREFIX = "fact_"


def _field_for(spec: FactSpec) -> forms.Field:
    common = {"label": spec.label, "required": False}
    if spec.kind == "tier":
        choices = [("", _("请选择")), *((c.value, c.label) for c in spec.choices)]
        return forms.ChoiceField(choices=choices, **common)
    if spec.kind == "bool":
        return forms.BooleanField(**common)
    if spec.kind == "date":
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.kind in ("count", "money", "percent"):
        step = {"count": "1", "money": "0.01", "percent": "0.01"}[spec.kind]
        unit = {"count": "", "money": _("（元）"), "percent": "（%）"}[spec.kind]
        return forms.CharField(
            widget=forms.TextInput(attrs={"inputmode": "decimal", "data-step": step}),
            label=f"{spec.label}{unit}",
            required=False,
        )
    return forms.CharField(max_length=500, **common)


class FactsForm(PortalForm):
    """Holds a clause's facts as `fact_<name>` fields (prefixed so they never clash)."""

    rule: ClauseRule
    lenient = False  # drafts save incomplete facts; submit and the calculator are strict

    def __init__(self, *args, rule: ClauseRule, **kwargs) -> None:
        self.rule = rule
        super().__init__(*args, **kwargs)

    def raw_facts(self) -> dict[str, Any]:
        data = {}
        for spec in self.rule.facts:
            value = self.cleaned_data.get(FACT_PREFIX + spec.name)
            if value not in (None, ""):
                data[spec.name] = value
        return data

    def clean(self):
        cleaned = super().clean()
        raw = self.raw_facts()
        try:
            self.facts = clean_facts(self.rule, raw)
        except FactsError as exc:
            self.facts = None
            for name, message in exc.errors.items():
                if self.lenient and name not in raw:
                    continue  # a draft may leave fields empty
                field = FACT_PREFIX + name
                self.add_error(field if field in self.fields else None, message)
        return cleaned


def facts_form_class(rule: ClauseRule) -> type[FactsForm]:
    fields = {FACT_PREFIX + spec.name: _field_for(spec) for spec in rule.facts}
    return type("ClauseFactsForm", (FactsForm,), fields)


def facts_form(
    rule: ClauseRule,
    data=None,
    initial: dict[str, Any] | None = None,
    *,
    auto_id: str = "id_%s",
    locked: Iterable[str] = (),
) -> FactsForm:
    """`auto_id`: a page showing several clauses' forms gives each its own ids (the field names
    stay fact_<name>, so what is posted does not change). `locked`: facts shown but not
    editable (a 免申 list's), which keep their initial value whatever is posted."""
    initial = {FACT_PREFIX + k: v for k, v in (initial or {}).items()}
    form = facts_form_class(rule)(data, rule=rule, initial=initial, auto_id=auto_id)
    for name in locked:
        field = form.fields.get(FACT_PREFIX + name)
        if field is not None:
            field.disabled = True
            field.help_text = _("来自认定名单，不能修改。")
    return form


class ProcurementForm(PortalForm):
    kind = forms.ChoiceField(
        label=_("采购类型"),
        choices=[("goods", _("货物")), ("services", _("服务")), ("works", _("工程"))],
    )
    # The rule's own bounds: more than 0, at most 1000亿元.
    budget = forms.DecimalField(
        label=_("采购预算（元）"),
        min_value=BUDGET_MIN,
        max_value=BUDGET_MAX,
        max_digits=14,
        decimal_places=2,
        error_messages={
            "min_value": _("采购预算必须大于0。"),
            "max_value": _("采购预算不能超过1000亿元，请核对单位（元）。"),
        },
    )


def calculator_answers(rule, data) -> QueryDict:
    """The calculator's fact fields as typed (fact_<name>=value), for pre-filling a draft."""
    answers = QueryDict(mutable=True)
    for spec in rule.facts:
        value = data.get(FACT_PREFIX + spec.name, "")
        if value != "":
            answers[FACT_PREFIX + spec.name] = value[:500]
    return answers

"""Policy administrators configure measures, rules, rounds and budgets here."""

from __future__ import annotations

import yaml
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin import PolicyAdminOnly, ReadOnlyReferenceAdmin
from core.dates import deadline_text
from core.errors import DomainError

from . import services
from .holidays import holiday_schedule_import, parse_schedule, schedule_as_text
from .models import (
    Clause,
    ClauseVersion,
    HolidaySchedule,
    Measure,
    Policy,
    Round,
    RoundBudget,
    Section,
)
from .rules.catalogue import CatalogueError, parse_rule_text


class CatalogueAdmin(ReadOnlyReferenceAdmin):
    """Policies, sections and measures come from the versioned catalogue file (load_policy,
    the service that writes them); the admin shows them and edits nothing."""


@admin.register(Policy)
class PolicyAdmin(CatalogueAdmin):
    list_display = ("document_number", "title", "valid_from", "valid_to", "loaded_at")


@admin.register(Section)
class SectionAdmin(CatalogueAdmin):
    list_display = ("policy", "number", "title")


@admin.register(Measure)
class MeasureAdmin(CatalogueAdmin):
    list_display = ("number", "title", "policy", "monetary")
    list_filter = ("policy", "monetary")
    filter_horizontal = ("departments",)


class ClauseVersionInline(admin.TabularInline):
    model = ClauseVersion
    fields = ("number", "created_at", "created_by", "change_note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ClauseAdminForm(forms.ModelForm):
    rule_yaml = forms.CharField(
        label=_("奖励规则（YAML）"),
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "style": "font-family: monospace"}),
        help_text=_("修改金额、比例、材料清单等。已被申报使用的规则会生成新版本，历史决定不变。"),
    )
    change_note = forms.CharField(label=_("修改说明"), max_length=200)

    class Meta:
        model = Clause
        fields = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.current_version:
            self.fields["rule_yaml"].initial = yaml.safe_dump(
                self.instance.current_version.rule_data, allow_unicode=True, sort_keys=False
            )

    def clean_rule_yaml(self) -> dict:
        # The catalogue file's checks: line numbers, no aliases, no absurd numbers.
        try:
            return parse_rule_text(self.cleaned_data["rule_yaml"])
        except CatalogueError as exc:
            raise forms.ValidationError(exc.errors) from exc


@admin.register(Clause)
class ClauseAdmin(PolicyAdminOnly, admin.ModelAdmin):
    form = ClauseAdminForm
    list_display = ("code", "title", "measure", "department", "current_version")
    list_filter = ("policy", "department", "measure__number")
    search_fields = ("code", "title")
    readonly_fields = ("code", "title", "measure", "department", "current_version")
    inlines = [ClauseVersionInline]

    def has_add_permission(self, request) -> bool:
        return False  # clauses come from the catalogue file (load_policy)

    def save_model(self, request, obj, form, change):
        try:
            version = services.clause_rule_update(
                actor=request.user,
                clause=obj,
                rule_data=form.cleaned_data["rule_yaml"],
                note=form.cleaned_data["change_note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        messages.info(request, _("当前规则版本：v%(n)d") % {"n": version.number})


class RoundBudgetForm(forms.ModelForm):
    class Meta:
        model = RoundBudget
        fields = ("measure", "amount")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("amount") is not None:
            self.instance.amount = cleaned["amount"]
            problem = services.round_budget_problem(budget=self.instance)
            if problem:
                self.add_error("amount", problem)
        return cleaned


class RoundBudgetFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # (A form marked for deletion is not validated: the check belongs to the formset.)
        for form in self.deleted_forms:
            problem = form.instance.pk and services.round_budget_delete_problem(form.instance)
            if problem:
                raise forms.ValidationError(problem)


class RoundBudgetInline(PolicyAdminOnly, admin.TabularInline):
    """The policy administrator sets the round's budgets (deleting one stays a superuser's)."""

    model = RoundBudget
    form = RoundBudgetForm
    formset = RoundBudgetFormSet
    fields = ("measure", "amount", "committed")
    readonly_fields = ("committed",)
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return self._allowed(request)


class RoundAdminForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = ["policy", "name", "opens_at", "closes_at", "notice_working_days", "clauses"]

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("截止时间必须晚于开始时间。"))
        policy = cleaned.get("policy")
        foreign = [
            c.code for c in cleaned.get("clauses", []) if policy and c.policy_id != policy.pk
        ]
        if foreign:
            self.add_error(
                "clauses", _("以下条款不属于所选政策：%(codes)s") % {"codes": "、".join(foreign)}
            )
        return cleaned


@admin.register(Round)
class RoundAdmin(PolicyAdminOnly, admin.ModelAdmin):
    form = RoundAdminForm
    list_display = ("name", "policy", "opens_at", "closes")
    filter_horizontal = ("clauses",)
    inlines = [RoundBudgetInline]

    @admin.display(description=_("截止时间"), ordering="closes_at")
    def closes(self, obj: Round) -> str:
        return deadline_text(obj.closes_at)  # midnight as 24:00 of the day before

    def save_model(self, request, obj, form, change):
        services.round_save(actor=request.user, round_=obj)

    def save_related(self, request, form, formsets, change):
        # Every write through a service: the clauses and each budget row, audited; the
        # budgets' committed amounts are never overwritten from the form.
        services.round_clauses_set(
            actor=request.user, round_=form.instance, clauses=form.cleaned_data["clauses"]
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        changed = formset.save(commit=False)  # collects the changes; writes nothing
        try:
            for budget in formset.deleted_objects:
                services.round_budget_delete(actor=request.user, budget_id=budget.pk)
            for budget in changed:
                budget.round = form.instance
                services.round_budget_save(actor=request.user, budget=budget)
        except DomainError as exc:  # a race after the form's own checks (approvals meanwhile)
            messages.error(request, exc.message)


class HolidayScheduleForm(forms.ModelForm):
    days_text = forms.CharField(
        label=_("节假日与调休"),
        widget=forms.Textarea(attrs={"rows": 16, "class": "vLargeTextField"}),
        help_text=_(
            "每行一项：日期[~日期] 休|班 名称，例如 2027-02-06~2027-02-13 休 春节、2027-02-14 班 春节调休。"
        ),
    )

    class Meta:
        model = HolidaySchedule
        fields = ("year", "notice", "published_on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["days_text"].initial = schedule_as_text(self.instance)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("year") and cleaned.get("days_text"):
            try:
                parse_schedule(year=cleaned["year"], text=cleaned["days_text"])
            except DomainError as exc:
                self.add_error("days_text", exc.message)
        return cleaned


@admin.register(HolidaySchedule)
class HolidayScheduleAdmin(PolicyAdminOnly, admin.ModelAdmin):
    """法定节假日 and 调休 workdays of a year, for when chinese-calendar lags."""

    form = HolidayScheduleForm
    list_display = ("year", "notice", "published_on", "updated_at")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = holiday_schedule_import(
            actor=request.user,
            year=data["year"],
            text=data["days_text"],
            notice=data.get("notice", ""),
            published_on=data.get("published_on"),
        )
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        pass  # the service stored the days

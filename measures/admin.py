"""Policy administrators configure measures, rules, rounds and budgets here."""

from __future__ import annotations

import yaml
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin import PolicyAdminOnly
from xianyang_portal.errors import DomainError

from . import services
from .models import Clause, ClauseVersion, Measure, Policy, Round, RoundBudget, Section
from .rules.types import ClauseRule, RuleDefinitionError


@admin.register(Policy)
class PolicyAdmin(PolicyAdminOnly, admin.ModelAdmin):
    list_display = ("document_number", "title", "valid_from", "valid_to", "loaded_at")


@admin.register(Section)
class SectionAdmin(PolicyAdminOnly, admin.ModelAdmin):
    list_display = ("policy", "number", "title")


@admin.register(Measure)
class MeasureAdmin(PolicyAdminOnly, admin.ModelAdmin):
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
        try:
            data = yaml.safe_load(self.cleaned_data["rule_yaml"])
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"第{mark.line + 1}行：" if mark else ""
            raise forms.ValidationError(f"{line}YAML 格式错误：{exc}") from exc
        if not isinstance(data, dict):
            raise forms.ValidationError(_("规则必须是一个映射（键: 值）。"))
        try:
            ClauseRule.from_dict(data)
        except RuleDefinitionError as exc:
            raise forms.ValidationError(exc.errors) from exc
        return data


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


class RoundBudgetInline(admin.TabularInline):
    model = RoundBudget
    fields = ("measure", "amount", "committed")
    readonly_fields = ("committed",)
    extra = 0


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
    list_display = ("name", "policy", "opens_at", "closes_at")
    filter_horizontal = ("clauses",)
    inlines = [RoundBudgetInline]

    def save_model(self, request, obj, form, change):
        services.round_save(actor=request.user, round_=obj)

"""Forms of the payment pages: they validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, Place
from core.forms import PortalForm
from measures.models import Measure, Round
from measures.selectors import catalogue_cached

from .bankfile import MAX_BYTES
from .models import LineState
from .selectors import BuildFilters


class BuildForm(PortalForm):
    round = forms.ModelChoiceField(
        label=_("申报批次"), queryset=Round.objects.order_by("-opens_at"), required=False,
        empty_label=_("全部批次"),
    )  # fmt: skip
    measure = forms.ModelChoiceField(
        label=_("措施"),
        queryset=Measure.objects.filter(monetary=True)
        .select_related("policy")
        .order_by("policy", "number"),
        required=False,
        empty_label=_("全部措施"),
    )
    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.all(), required=False,
        empty_label=_("全部部门"),
    )  # fmt: skip
    place = forms.ModelChoiceField(
        label=_("县市区/园区"), queryset=Place.objects.all(), required=False,
        empty_label=_("全部县市区"),
    )  # fmt: skip
    approved_before = forms.DateField(
        label=_("批准日期不晚于"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("按核定通知书印发日期筛选；留空表示不限。"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def filters(self) -> BuildFilters:
        data = self.cleaned_data
        return BuildFilters(
            round_id=data["round"].pk if data["round"] else None,
            measure_id=data["measure"].pk if data["measure"] else None,
            department_id=data["department"].pk if data["department"] else None,
            place_id=data["place"].pk if data["place"] else None,
            approved_before=data["approved_before"],
        )


class RemoveLinesForm(PortalForm):
    reason = forms.CharField(
        label=_("移出原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class MarkLinesForm(PortalForm):
    result = forms.ChoiceField(
        label=_("拨付结果"),
        choices=[(LineState.PAID, _("已拨付")), (LineState.FAILED, _("拨付失败"))],
    )
    reason = forms.CharField(
        label=_("失败原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("登记“拨付失败”时必填。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("result") == LineState.FAILED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("登记“拨付失败”须填写失败原因。"))
        return data


class ImportForm(PortalForm):
    file = forms.FileField(
        label=_("银行结果文件"),
        help_text=_(
            "CSV（UTF-8 或 GBK）或 xlsx，须含列：明细编号、收款账号、金额、结果（成功/失败），"
            "可选：原因。不超过 5 MB。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("文件过大（上限 %(mb)d MB），请按批次拆分后导入。"),
                params={"mb": MAX_BYTES // 1024 // 1024},
            )
        return upload


def _round_choices() -> list[tuple[int, str]]:
    """The rounds, newest first, kept per catalogue version (no query per dashboard view)."""
    return catalogue_cached(
        "dashboard-rounds", lambda: [(r.pk, str(r)) for r in Round.objects.order_by("-opens_at")]
    )


class DashboardFilterForm(PortalForm):
    # The round's id (cleaned: an int, or None for all rounds); its name only labels options.
    round = forms.TypedChoiceField(
        label=_("申报批次"), choices=lambda: [("", _("全部批次")), *_round_choices()],
        coerce=int, empty_value=None, required=False,
    )  # fmt: skip

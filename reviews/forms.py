from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PortalForm


class ActionForm(PortalForm):
    action = forms.CharField(widget=forms.HiddenInput)
    revision = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    amount = forms.CharField(label=_("金额（元）"), required=False, max_length=20)
    amount_basis = forms.CharField(
        label=_("金额依据"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    correction_due_on = forms.DateField(
        label=_("补正期限"),
        required=False,
        error_messages={"invalid": _("请填写有效的日期，例如 2025-10-20。")},
    )


class NoticeStartForm(PortalForm):
    title = forms.CharField(label=_("公示标题"), required=False, max_length=200)
    working_days = forms.IntegerField(
        label=_("公示期（工作日）"),
        min_value=1,
        max_value=30,
        required=False,
        help_text=_("留空则按申报批次的设置。"),
    )


class ObjectionForm(PortalForm):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("姓名（实名）"), max_length=60)
    contact = forms.CharField(label=_("联系电话或邮箱"), max_length=100)
    content = forms.CharField(
        label=_("异议内容及依据"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolutionForm(PortalForm):
    resolution = forms.CharField(
        label=_("处理意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

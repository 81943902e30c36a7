from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PortalForm

from .models import Scope


class ServiceAccountForm(PortalForm):
    name = forms.CharField(label=_("对接平台名称"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    valid_days = forms.IntegerField(
        label=_("有效期（天）"), min_value=1, max_value=3650, initial=365
    )


class RevokeForm(PortalForm):
    reason = forms.CharField(label=_("吊销原因"), max_length=500)


class RecognitionListForm(PortalForm):
    clause = forms.ChoiceField(label=_("条款"))
    title = forms.CharField(label=_("名单名称"), max_length=200)
    document_no = forms.CharField(label=_("发布文号"), max_length=100, required=False)
    file = forms.FileField(
        label=_("名单文件（xlsx 或 CSV）"),
        help_text=_("列：统一社会信用代码、企业名称、认定类别、级别、认定日期、文号。"),
    )

    def __init__(self, *args, clauses=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clause"].choices = [(c.code, f"{c.code} {c.title}") for c in clauses]


class CredentialForm(PortalForm):
    clause = forms.ChoiceField(label=_("对应条款"))
    title = forms.CharField(label=_("认定或证书名称"), max_length=200)
    level = forms.CharField(label=_("级别（如国家级、省级）"), max_length=40, required=False)
    obtained_on = forms.DateField(
        label=_("取得日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    number = forms.CharField(label=_("文号或证书编号"), max_length=100, required=False)

    def __init__(self, *args, clauses=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # An enterprise picks the recognition by its title (the code is for staff), and chooses one.
        self.fields["clause"].choices = [
            ("", _("请选择条款")),
            *((c.code, c.title) for c in clauses),
        ]


class PushPreferenceForm(PortalForm):
    opted_out = forms.BooleanField(label=_("不接收政策推送消息"), required=False)

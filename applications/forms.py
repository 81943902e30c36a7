from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PortalForm


class DeclarationForm(PortalForm):
    other_funding_declared = forms.BooleanField(
        label=_("该项目已通过其他渠道获得市级财政专项资金支持"), required=False
    )
    other_funding_detail = forms.CharField(
        label=_("已获市级资金说明（资金名称、金额、年度）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PledgeForm(PortalForm):
    pledge_accepted = forms.BooleanField(
        label=_(
            "本单位承诺：所填信息及上传材料真实有效，同一项目通过其他渠道获得市级财政专项资金支持的情况已如实申报；如有不实，愿退回奖励资金并承担相应责任。"
        ),
        required=False,
    )
    pledge_name = forms.CharField(label=_("承诺人姓名"), required=False, max_length=60)


class ReasonForm(PortalForm):
    reason = forms.CharField(
        label=_("理由"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

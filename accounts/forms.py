from __future__ import annotations

import unicodedata

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import MaskedPersonalDataMixin, PortalForm, PortalModelForm
from core.text import compact_nfkc

from .models import Department, Organisation, Place, Role
from .twofactor import has_second_factor, second_factor_match
from .uscc import normalise_uscc, validate_uscc

PHONE_VALIDATOR_MESSAGE = _("请输入有效的电话号码（7-20位数字，可含“-”）。")


def clean_phone(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).strip()
    digits = value.replace("-", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit()) or not 7 <= len(digits) <= 20:
        raise ValidationError(PHONE_VALIDATOR_MESSAGE)
    return value


class RegistrationForm(PortalForm):
    legal_name = forms.CharField(label=_("单位名称"), max_length=120)
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=40,  # room for spaces and full-width input; the code itself is 18
        min_length=1,
        help_text=_("18位，不含 I、O、S、V、Z；小写字母和全角字符会自动转换。"),
    )
    kind = forms.ChoiceField(label=_("主体类型"), choices=Organisation.Kind.choices)
    place = forms.ModelChoiceField(
        label=_("所属县市区/园区"), queryset=Place.objects.all(), empty_label=_("请选择")
    )
    industry = forms.CharField(label=_("所属行业"), max_length=60, required=False)
    full_name = forms.CharField(label=_("联系人姓名"), max_length=60)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20)
    contact_email = forms.EmailField(label=_("联系邮箱"))
    username = forms.RegexField(
        label=_("登录用户名"),
        max_length=40,
        regex=r"^[A-Za-z0-9_.@-]{3,40}$",
        error_messages={"invalid": _("用户名为3-40位字母、数字或 _ . @ -。")},
    )
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, strip=False)

    def clean_uscc(self) -> str:
        return validate_uscc(normalise_uscc(self.cleaned_data["uscc"]))

    def clean_contact_phone(self) -> str:
        return clean_phone(self.cleaned_data["contact_phone"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif cleaned.get("password1"):
            try:
                password_validation.validate_password(cleaned["password1"])
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class OrganisationProfileForm(MaskedPersonalDataMixin, PortalModelForm):
    masked_fields = ("contact_phone", "bank_account")

    class Meta:
        model = Organisation
        fields = [
            "industry",
            "scale",
            "is_industrial",
            "is_local_drug_manufacturer",
            "contact_name",
            "contact_phone",
            "contact_email",
            "payee_name",
            "bank_name",
            "bank_account",
        ]

    def clean_contact_phone(self) -> str:
        return clean_phone(self.cleaned_data["contact_phone"])

    def clean_bank_account(self) -> str:
        # Full-width digits become ASCII; other scripts' digits ("٣") fail isascii().
        value = compact_nfkc(self.cleaned_data["bank_account"])
        if value and (not (value.isascii() and value.isdigit()) or not 8 <= len(value) <= 30):
            raise ValidationError(_("银行账号应为8-30位数字。"))
        return value


class StaffUserForm(PortalForm):
    username = forms.RegexField(
        label=_("登录用户名"),
        max_length=40,
        regex=r"^[A-Za-z0-9_.@-]{3,40}$",
        error_messages={"invalid": _("用户名为3-40位字母、数字或 _ . @ -。")},
    )
    full_name = forms.CharField(label=_("姓名"), max_length=60)
    email = forms.EmailField(label=_("邮箱"))
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    place = forms.ModelChoiceField(
        label=_("县市区/园区（县区初审必填）"), queryset=Place.objects.all(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("部门（市级复审必填）"), queryset=Department.objects.all(), required=False
    )
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, strip=False)


# One answer for a wrong password and for a right password with a wrong or missing code: a
# different one told a guesser that the password was right.
# A code typed again at once after a wrong one is refused by django-otp's growing throttle with
# the same answer (saying "throttled" only to those who knew the password would be an oracle),
# so every refusal says a retry must wait.
LOGIN_REFUSED = _(
    "用户名、密码或动态验证码不正确。已绑定身份验证器的账户（工作人员均须绑定）请同时填写动态验证码；验证码输错后，每次重试须多等几秒。"
)


class PortalLoginForm(AuthenticationForm):
    """Username and password, and the current code of the authenticator app for every account
    that has one (staff must; an enterprise may enrol)."""

    error_messages = {**AuthenticationForm.error_messages, "invalid_login": LOGIN_REFUSED}

    otp_token = forms.CharField(
        label=_("动态验证码"),
        required=False,
        max_length=16,
        help_text=_(
            "工作人员及已绑定身份验证器的账户必填：身份验证器App中的6位数字，或一个备用码。"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    otp_device = None

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not has_second_factor(user):
            return cleaned
        token = cleaned.get("otp_token", "")
        device = second_factor_match(user=user, token=token)
        if device is None:
            # Counted by django-axes like a wrong password.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
            )
            raise self.get_invalid_login_error()
        self.otp_device = device
        return cleaned


class OtpConfirmForm(PortalForm):
    token = forms.CharField(
        label=_("动态验证码"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from xianyang_portal.errors import DomainError

from . import services
from .models import Department, Membership, Organisation, Place, Role, RoleAssignment, User
from .selectors import user_scopes


class PolicyAdminOnly:
    """Configuration screens belong to policy administrators (and superusers)."""

    def _allowed(self, request) -> bool:
        return request.user.is_superuser or user_scopes(request.user).has(Role.POLICY_ADMIN)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(PolicyAdminOnly, DjangoUserAdmin):
    inlines = [RoleAssignmentInline]
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("门户"), {"fields": ("full_name", "phone")}))
    list_display = ("username", "full_name", "email", "is_active")


class OrganisationAdminForm(forms.ModelForm):
    override_reason = forms.CharField(
        label=_("校验位人工确认理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("仅当代码真实有效但校验位不符时填写，将记录在审计日志。"),
    )

    request_user: User | None = None

    class Meta:
        model = Organisation
        fields = [
            "legal_name",
            "uscc",
            "kind",
            "place",
            "industry",
            "is_industrial",
            "is_local_drug_manufacturer",
            "contact_name",
            "contact_phone",
            "contact_email",
            "payee_name",
            "bank_name",
            "bank_account",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk or "uscc" not in cleaned:
            return cleaned
        try:
            services.organisation_check_uscc(
                uscc=cleaned["uscc"],
                override_reason=cleaned.get("override_reason", ""),
                actor=self.request_user,
            )
        except ValidationError as exc:
            self.add_error("uscc", exc)
        except DomainError as exc:
            self.add_error("uscc", exc.message)
        return cleaned


@admin.register(Organisation)
class OrganisationAdmin(PolicyAdminOnly, admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ("legal_name", "uscc", "kind", "place", "uscc_check_overridden")
    list_filter = ("kind", "place", "uscc_check_overridden")
    search_fields = ("legal_name", "uscc")
    readonly_fields = ("uscc_check_overridden", "uscc_override_reason", "bank_account_updated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        form_class.request_user = request.user
        return form_class

    def get_readonly_fields(self, request, obj=None):
        # The code is the organisation's identity: fixed once created.
        return (*self.readonly_fields, "uscc") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {
            name: form.cleaned_data[name]
            for name in form.cleaned_data
            if name not in ("uscc", "override_reason", "members")
        }
        created = services.organisation_create_by_admin(
            actor=request.user,
            uscc=form.cleaned_data["uscc"],
            override_reason=form.cleaned_data.get("override_reason", ""),
            **fields,
        )
        obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        form.instance = Organisation.objects.get(pk=form.instance.pk)
        super().save_related(request, form, formsets, change)


@admin.register(Place)
class PlaceAdmin(PolicyAdminOnly, admin.ModelAdmin):
    list_display = ("name", "kind", "code")


@admin.register(Department)
class DepartmentAdmin(PolicyAdminOnly, admin.ModelAdmin):
    list_display = ("name", "code")


@admin.register(Membership)
class MembershipAdmin(PolicyAdminOnly, admin.ModelAdmin):
    list_display = ("user", "organisation", "joined_at")

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.forms import MaskedPersonalDataMixin

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


class SecurityAdminOnly:
    """Accounts and roles belong to the security administrator alone (三员分立)."""

    def _allowed(self, request) -> bool:
        return request.user.is_superuser or user_scopes(request.user).has(Role.SECURITY_ADMIN)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Recorded before the admin opens its transaction, so the refusal row is kept.
        if request.method == "POST" and not self._allowed(request):
            target = self.model.objects.filter(pk=object_id).first() if object_id else None
            services.security_refusal_record(
                actor=request.user,
                target=target or request.user,
                attempted=f"admin:{self.model._meta.model_name}:"
                + ",".join(sorted(k for k in request.POST if k != "csrfmiddlewaretoken")),
            )
            raise PermissionDenied(_("只有安全管理员可以管理账户和角色。"))
        return super().changeform_view(request, object_id, form_url, extra_context)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ("role", "place", "department")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class UserAdminForm(forms.ModelForm):
    class Meta:
        model = User
        fields = sorted(services.USER_ADMIN_FIELDS)


@admin.register(User)
class UserAdmin(SecurityAdminOnly, admin.ModelAdmin):
    """Name, e-mail, phone and active flag through the service; privileges are read-only."""

    form = UserAdminForm
    inlines = [RoleAssignmentInline]
    list_display = ("username", "full_name", "email", "is_active")
    search_fields = ("username", "full_name", "email")
    fields = (
        "username",
        "full_name",
        "email",
        "phone",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "password_changed_at",
    )
    readonly_fields = ("username", "is_staff", "is_superuser", "last_login", "password_changed_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return user_scopes(request.user).has(Role.SECURITY_ADMIN)

    def save_model(self, request, obj, form, change):
        services.user_update_by_admin(
            actor=request.user,
            user=User.objects.get(pk=obj.pk),
            data={name: form.cleaned_data[name] for name in form.changed_data},
        )

    def save_related(self, request, form, formsets, change):
        """Roles are not edited here (the inline is read-only)."""


class RoleAssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "place", "department"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SecurityAdminOnly, admin.ModelAdmin):
    """Granted and removed through role_assign / role_remove; never edited in place."""

    form = RoleAssignmentAdminForm
    list_display = ("user", "role", "place", "department")
    list_filter = ("role",)

    def has_add_permission(self, request) -> bool:
        return user_scopes(request.user).has(Role.SECURITY_ADMIN)

    def has_delete_permission(self, request, obj=None) -> bool:
        return user_scopes(request.user).has(Role.SECURITY_ADMIN)

    def save_model(self, request, obj, form, change):
        assignment = services.role_assign(
            actor=request.user,
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            place=form.cleaned_data.get("place"),
            department=form.cleaned_data.get("department"),
        )
        obj.pk = assignment.pk

    def delete_model(self, request, obj):
        services.role_remove(actor=request.user, assignment=obj)

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("user"):
            services.role_remove(actor=request.user, assignment=assignment)


class OrganisationAdminForm(MaskedPersonalDataMixin, forms.ModelForm):
    masked_fields = ("contact_phone", "bank_account")

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
            services.organisation_update_by_admin(
                actor=request.user,
                organisation=Organisation.objects.get(pk=obj.pk),
                data={
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in OrganisationAdminForm.Meta.fields
                },
            )
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


class ReadOnlyReferenceAdmin(PolicyAdminOnly, admin.ModelAdmin):
    """Reference data comes from a data migration; no service edits it, so it is read-only."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Place)
class PlaceAdmin(ReadOnlyReferenceAdmin):
    list_display = ("name", "kind", "code")


@admin.register(Department)
class DepartmentAdmin(ReadOnlyReferenceAdmin):
    list_display = ("name", "code")


@admin.register(Membership)
class MembershipAdmin(SecurityAdminOnly, admin.ModelAdmin):
    """Memberships are made at registration; read-only here."""

    list_display = ("user", "organisation", "joined_at")

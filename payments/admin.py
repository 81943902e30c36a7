"""Read-only admin: batches are changed only through the payment services (audited)."""

from django.contrib import admin

from .models import PaymentBatch, PaymentLine


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyAdmin):
    list_display = ("reference", "state", "line_count", "total_amount", "created_by", "locked_at")
    list_filter = ("state",)
    search_fields = ("reference",)


@admin.register(PaymentLine)
class PaymentLineAdmin(ReadOnlyAdmin):
    list_display = ("reference", "state", "payee_name", "amount", "letter_number", "bank_changed")
    list_filter = ("state", "bank_changed")
    search_fields = ("reference", "payee_name", "application_reference", "uscc")
    list_select_related = ("batch",)
    raw_id_fields = ("batch", "application")

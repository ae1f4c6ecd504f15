"""Deliveries in the admin: to look at, and to delete. Nothing is added or changed here: a
delivery's status moves only as models.MOVES allows (through its services and packing), and
its files point at its own deliverables' exports, never chosen by hand."""

from django.contrib import admin

from .models import Delivery, DeliveryFile


class DeliveryFileInline(admin.TabularInline):
    model = DeliveryFile
    extra = 0
    fields = readonly_fields = (
        "position",
        "placement",
        "file_name",
        "export",
        "deliverable",
        "unpackable",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a file taken out would leave a delivery half-done


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["ad", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
    inlines = [DeliveryFileInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

from django.contrib import admin

from .models import Delivery, DeliveryFile


class DeliveryFileInline(admin.TabularInline):
    model = DeliveryFile
    extra = 0
    raw_id_fields = ["export"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["ad", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
    raw_id_fields = ["ad"]
    readonly_fields = ["uuid", "sheet"]
    inlines = [DeliveryFileInline]

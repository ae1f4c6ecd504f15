from django.contrib import admin

from .models import BrandKit, Element


@admin.register(BrandKit)
class BrandKitAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "font", "primary_colour", "secondary_colour", "updated_at"]
    list_filter = ["font"]
    search_fields = ["name", "team__name"]
    # The logo is checked by the service when uploaded in the studio; here it is only shown.
    readonly_fields = ["uuid", "logo", "logo_type", "created_by", "created_at", "updated_at"]


@admin.register(Element)
class ElementAdmin(admin.ModelAdmin):
    list_display = ["name", "kit", "created_at"]
    search_fields = ["name", "kit__name", "description"]
    readonly_fields = ["uuid", "created_at"]

from django.contrib import admin

from .models import Clip


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "gateway_job_id",
        "estimated_cost",
        "billed_cost",
        "created_at",
    ]
    list_filter = ["status", "video_model"]
    search_fields = ["gateway_job_id", "prompt", "uuid"]
    readonly_fields = ["uuid", "idempotency_key", "created_at", "updated_at"]
    list_select_related = ["shot", "video_model"]

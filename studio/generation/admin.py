from django.contrib import admin

from .models import SubmitPause, Take, WebhookEvent


@admin.register(Take)
class TakeAdmin(admin.ModelAdmin):
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
    # What the pipeline owns is shown, never edited: a status moves only through
    # TakeQuerySet.transition, along the moves its table allows.
    readonly_fields = [
        "uuid",
        "idempotency_key",
        "status",
        "gateway_job_id",
        "next_check_at",
        "retries",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["shot", "video_model"]


@admin.register(SubmitPause)
class SubmitPauseAdmin(admin.ModelAdmin):
    list_display = ["reason", "created_at", "resumed_at", "resumed_by"]
    list_filter = ["reason"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "take", "received_at", "applied_at"]
    search_fields = ["event_id"]
    list_select_related = ["take"]

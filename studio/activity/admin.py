from django.contrib import admin

from .models import Activity


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "project", "actor_name", "verb", "subject", "cost"]
    list_filter = ["verb"]
    search_fields = ["subject", "actor_name"]
    raw_id_fields = ["project", "storyboard", "actor"]

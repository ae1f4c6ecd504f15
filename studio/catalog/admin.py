from django.contrib import admin

from .models import VideoModel


@admin.register(VideoModel)
class VideoModelAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "price_per_second",
        "min_duration",
        "max_duration",
        "is_enabled",
    ]
    list_filter = ["is_enabled"]
    search_fields = ["name", "slug"]

from django.contrib import admin

from .models import Project, Shot, Storyboard


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "team", "budget", "created_at"]
    search_fields = ["name", "client"]
    list_select_related = ["team"]


@admin.register(Storyboard)
class StoryboardAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "created_at"]
    search_fields = ["title"]
    list_select_related = ["project"]


@admin.register(Shot)
class ShotAdmin(admin.ModelAdmin):
    list_display = ["storyboard", "position", "duration", "aspect_ratio", "video_model"]
    search_fields = ["prompt"]
    list_select_related = ["storyboard", "video_model"]

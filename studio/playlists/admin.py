from django.contrib import admin

from .models import Export, Playlist, PlaylistItem


class PlaylistItemInline(admin.TabularInline):
    model = PlaylistItem
    extra = 0
    raw_id_fields = ["take"]


@admin.register(Playlist)
class PlaylistAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "platform", "aspect_ratio", "target_seconds", "updated_at"]
    list_filter = ["platform"]
    search_fields = ["name"]
    inlines = [PlaylistItemInline]


@admin.register(PlaylistItem)
class PlaylistItemAdmin(admin.ModelAdmin):
    list_display = ["playlist", "position", "take", "trim_in", "trim_out"]
    raw_id_fields = ["take", "playlist"]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "playlist", "version", "status", "progress", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["uuid", "manifest"]

from django.contrib import admin

from .models import Comment, Decision, ShareLink


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["decided_at", "state", "take", "playlist", "decided_by", "guest_name"]
    list_filter = ["state"]
    raw_id_fields = ["take", "playlist", "decided_by", "share_link"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "author", "guest_name", "take", "playlist", "resolved"]
    list_filter = ["resolved"]
    search_fields = ["body", "guest_name"]
    raw_id_fields = ["take", "playlist", "author", "share_link", "item", "resolved_by"]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "storyboard",
        "playlist",
        "created_by",
        "expires_at",
        "revoked_at",
    ]
    raw_id_fields = ["storyboard", "playlist", "created_by", "revoked_by"]

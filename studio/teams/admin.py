from django.contrib import admin

from .models import Invitation, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "is_personal", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "username",
        "team",
        "role",
        "invited_by",
        "expires_at",
        "accepted_at",
        "revoked_at",
        "declined_at",
    ]
    list_filter = ["role"]
    search_fields = ["email", "username", "team__name"]
    autocomplete_fields = ["team"]
    readonly_fields = ["token", "accepted_by"]

from django.urls import path

from . import views

urlpatterns = [
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<uuid:uuid>/", views.team_detail, name="team_detail"),
    path("teams/<uuid:uuid>/switch/", views.team_switch, name="team_switch"),
    path("teams/<uuid:uuid>/invite/", views.team_invite, name="team_invite"),
    path("teams/<uuid:uuid>/review-rule/", views.team_review_rule, name="team_review_rule"),
    path("members/<uuid:uuid>/role/", views.member_role, name="member_role"),
    path("members/<uuid:uuid>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<uuid:uuid>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<uuid:uuid>/accept/", views.invitation_join, name="invitation_join"),
    path("invitations/<uuid:uuid>/decline/", views.invitation_decline, name="invitation_decline"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

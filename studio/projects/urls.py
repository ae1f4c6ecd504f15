from django.urls import path

from . import session_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<uuid:uuid>/", views.project_detail, name="project_detail"),
    path("projects/<uuid:uuid>/budget/", views.project_budget, name="project_budget"),
    path(
        "projects/<uuid:uuid>/storyboards/new/", views.storyboard_create, name="storyboard_create"
    ),
    path("storyboards/<uuid:uuid>/", views.storyboard_detail, name="storyboard_detail"),
    path("storyboards/<uuid:uuid>/shots/", views.shot_create, name="shot_create"),
    path("storyboards/<uuid:uuid>/shot-form/", views.shot_form, name="shot_form"),
    path("storyboards/<uuid:uuid>/estimate/", views.shot_estimate, name="shot_estimate"),
    path("storyboards/<uuid:uuid>/live/", session_views.storyboard_live, name="storyboard_live"),
    path("storyboards/<uuid:uuid>/reorder/", session_views.shots_reorder, name="shots_reorder"),
    path("storyboards/<uuid:uuid>/import/", views.storyboard_import, name="storyboard_import"),
    path(
        "storyboards/<uuid:uuid>/variants/", views.storyboard_variants, name="storyboard_variants"
    ),
    path("storyboards/<uuid:uuid>/variants/make/", views.variants_make, name="variants_make"),
    path("shots/<uuid:uuid>/part/", views.shot_part_set, name="shot_part"),
    path("shots/<uuid:uuid>/", session_views.shot_view, name="shot_view"),
    path("shots/<uuid:uuid>/edit/", session_views.shot_edit, name="shot_edit"),
    path("shots/<uuid:uuid>/update/", session_views.shot_update, name="shot_update"),
    path("shots/<uuid:uuid>/duplicate/", session_views.shot_duplicate, name="shot_duplicate"),
    path("shots/<uuid:uuid>/delete/", session_views.shot_delete, name="shot_delete"),
    path("shots/<uuid:uuid>/restore/", session_views.shot_restore, name="shot_restore"),
    path("shots/<uuid:uuid>/move/", session_views.shot_move, name="shot_move"),
]

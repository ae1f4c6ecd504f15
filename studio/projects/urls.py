from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<uuid:uuid>/", views.project_detail, name="project_detail"),
    path(
        "projects/<uuid:uuid>/storyboards/new/", views.storyboard_create, name="storyboard_create"
    ),
    path("storyboards/<uuid:uuid>/", views.storyboard_detail, name="storyboard_detail"),
    path("storyboards/<uuid:uuid>/shots/", views.shot_create, name="shot_create"),
    path("storyboards/<uuid:uuid>/shot-form/", views.shot_form, name="shot_form"),
    path("storyboards/<uuid:uuid>/estimate/", views.shot_estimate, name="shot_estimate"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("projects/<uuid:uuid>/activity/", views.project_activity, name="project_activity"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("shots/<uuid:uuid>/generate/", views.shot_generate, name="shot_generate"),
    path("storyboards/<uuid:uuid>/live/", views.storyboard_live, name="storyboard_live"),
    path("takes/<uuid:uuid>/retry/", views.take_retry, name="take_retry"),
    path("takes/<uuid:uuid>/video.mp4", views.take_video, name="take_video"),
    path("takes/<uuid:uuid>/poster.jpg", views.take_poster, name="take_poster"),
]

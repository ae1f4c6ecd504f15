from django.urls import path

from . import views

urlpatterns = [
    path("shots/<uuid:uuid>/generate/", views.shot_generate, name="shot_generate"),
    path("storyboards/<uuid:uuid>/batch/", views.batch_confirm, name="batch_confirm"),
    path("storyboards/<uuid:uuid>/batch/generate/", views.batch_generate, name="batch_generate"),
    path("takes/<uuid:uuid>/retry/", views.take_retry, name="take_retry"),
    path("shots/<uuid:uuid>/budget-after/", views.shot_budget_after, name="shot_budget_after"),
    path("takes/<uuid:uuid>/cancel/", views.take_cancel, name="take_cancel"),
    path("takes/<uuid:uuid>/select/", views.take_select, name="take_select"),
    path("takes/<uuid:uuid>/check-again/", views.take_check_again, name="take_check_again"),
    path("gateway/resume/", views.submissions_resume, name="submissions_resume"),
    path("gateway/polling/", views.polling_watch, name="polling_watch"),
    path("hooks/gateway/<uuid:key>/", views.gateway_webhook, name="gateway_webhook"),
    path("takes/<uuid:uuid>/video.mp4", views.take_video, name="take_video"),
    path("takes/<uuid:uuid>/poster.jpg", views.take_poster, name="take_poster"),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from studio.health import healthz

urlpatterns = [
    # Answered by studio.health's middleware before any other; the route names it for reverse().
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's own password views, in templates/registration/; reset mails go through the
    # configured mailer (MAILERS in settings).
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("studio.projects.urls")),
    path("", include("studio.generation.urls")),
    path("", include("studio.playlists.urls")),
    path("", include("studio.brands.urls")),
    path("", include("studio.review.urls")),
    path("", include("studio.deliveries.urls")),
    path("", include("studio.teams.urls")),
    path("", include("studio.activity.urls")),
]

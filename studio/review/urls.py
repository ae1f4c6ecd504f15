from django.urls import path

from . import compare_views, guest_views, views

urlpatterns = [
    path("takes/<uuid:uuid>/review/", views.take_review, name="take_review"),
    path("takes/<uuid:uuid>/review/decide/", views.take_decide, name="take_decide"),
    path("takes/<uuid:uuid>/review/comments/", views.take_comment, name="take_comment"),
    path("comments/<uuid:uuid>/resolve/", views.comment_resolve, name="comment_resolve"),
    path("playlists/<uuid:uuid>/review/", views.playlist_review, name="playlist_review"),
    path("playlists/<uuid:uuid>/review/decide/", views.playlist_decide, name="playlist_decide"),
    path("playlists/<uuid:uuid>/review/comments/", views.playlist_comment, name="playlist_comment"),
    path(
        "playlists/<uuid:uuid>/review/report/",
        views.playlist_review_report,
        name="playlist_review_report",
    ),
    path(
        "playlists/<uuid:uuid>/review/report.csv",
        views.playlist_review_report,
        {"as_csv": True},
        name="playlist_review_report_csv",
    ),
    path(
        "storyboards/<uuid:uuid>/review/report/",
        views.storyboard_review_report,
        name="storyboard_review_report",
    ),
    path(
        "storyboards/<uuid:uuid>/review/report.csv",
        views.storyboard_review_report,
        {"as_csv": True},
        name="storyboard_review_report_csv",
    ),
    path("playlists/<uuid:uuid>/share/", views.playlist_share, name="playlist_share"),
    path("storyboards/<uuid:uuid>/share/", views.storyboard_share, name="storyboard_share"),
    path("share-links/<uuid:uuid>/revoke/", views.share_link_revoke, name="share_link_revoke"),
    path("shots/<uuid:uuid>/compare/", compare_views.shot_compare, name="shot_compare"),
    path("playlists/<uuid:uuid>/compare/", compare_views.playlist_compare, name="playlist_compare"),
    # Guests: everything below checks the token first, and that what is asked for is under it.
    path("s/<str:token>/", guest_views.share_open, name="share_open"),
    path("s/<str:token>/name/", guest_views.share_name, name="share_name"),
    path("s/<str:token>/decide/", guest_views.share_decide, name="share_decide"),
    path("s/<str:token>/comments/", guest_views.share_comment, name="share_comment"),
    path(
        "s/<str:token>/takes/<uuid:uuid>/video.mp4",
        guest_views.share_take_video,
        name="share_take_video",
    ),
    path(
        "s/<str:token>/takes/<uuid:uuid>/poster.jpg",
        guest_views.share_take_poster,
        name="share_take_poster",
    ),
    path("s/<str:token>/logo/", guest_views.share_logo, name="share_logo"),
    path(
        "s/<str:token>/exports/<uuid:uuid>/video.mp4",
        guest_views.share_export_video,
        name="share_export_video",
    ),
]

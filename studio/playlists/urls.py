from django.urls import path

from . import deliverable_views, settings_views, views

urlpatterns = [
    path(
        "projects/<uuid:uuid>/playlists/new/",
        settings_views.playlist_create,
        name="playlist_create",
    ),
    path("playlists/<uuid:uuid>/", views.playlist_detail, name="playlist_detail"),
    path(
        "playlists/<uuid:uuid>/settings/",
        settings_views.playlist_settings,
        name="playlist_settings",
    ),
    path("playlists/<uuid:uuid>/add/", views.playlist_add, name="playlist_add"),
    path("playlists/<uuid:uuid>/reorder/", views.playlist_reorder, name="playlist_reorder"),
    path("playlists/<uuid:uuid>/summary/", views.playlist_summary, name="playlist_summary"),
    path("playlists/<uuid:uuid>/duplicate/", views.playlist_duplicate, name="playlist_duplicate"),
    path("playlists/<uuid:uuid>/finishing/", views.playlist_finishing, name="playlist_finishing"),
    path("playlists/<uuid:uuid>/export/", views.playlist_export, name="playlist_export"),
    path("playlists/<uuid:uuid>/exports/", views.playlist_exports, name="playlist_exports"),
    path("playlists/<uuid:uuid>/music/", views.playlist_music, name="playlist_music"),
    path(
        "playlists/<uuid:uuid>/music/remove/",
        views.playlist_music_remove,
        name="playlist_music_remove",
    ),
    path("playlists/<uuid:uuid>/music/file", views.playlist_music_file, name="playlist_music_file"),
    path(
        "playlists/<uuid:uuid>/deliverables/",
        deliverable_views.playlist_deliverables,
        name="playlist_deliverables",
    ),
    path(
        "playlists/<uuid:uuid>/deliverables/panel/",
        deliverable_views.playlist_deliverables_panel,
        name="playlist_deliverables_panel",
    ),
    path("playlist-items/<uuid:uuid>/move/", views.item_move, name="playlist_item_move"),
    path("playlist-items/<uuid:uuid>/remove/", views.item_remove, name="playlist_item_remove"),
    path("playlist-items/<uuid:uuid>/trim/", views.item_trim, name="playlist_item_trim"),
    path("playlist-items/<uuid:uuid>/finish/", views.item_finish, name="playlist_item_finish"),
    path(
        "playlist-items/<uuid:uuid>/frame/",
        deliverable_views.item_frame,
        name="playlist_item_frame",
    ),
    path(
        "playlist-items/<uuid:uuid>/keep/", deliverable_views.item_keep, name="playlist_item_keep"
    ),
    path("exports/<uuid:uuid>/video.mp4", views.export_download, name="export_download"),
    path("exports/<uuid:uuid>/manifest.json", views.export_manifest, name="export_manifest"),
]

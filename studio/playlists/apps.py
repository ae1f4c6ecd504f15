from django.apps import AppConfig


class PlaylistsConfig(AppConfig):
    name = "studio.playlists"
    verbose_name = "Ad-creative playlists"

from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "studio.teams"

    def ready(self) -> None:
        from studio import ranges  # noqa: F401  (registers the media-serving start-up check)

        from . import signals  # noqa: F401  (connects the first-login handler)

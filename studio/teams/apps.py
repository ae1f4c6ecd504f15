from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "studio.teams"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the first-login handler)

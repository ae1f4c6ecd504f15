from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "studio.activity"
    verbose_name = "Activity log"

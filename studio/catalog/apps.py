from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "studio.catalog"
    verbose_name = "Model catalog"

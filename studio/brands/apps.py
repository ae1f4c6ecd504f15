from django.apps import AppConfig


class BrandsConfig(AppConfig):
    name = "studio.brands"
    verbose_name = "Brand kits"

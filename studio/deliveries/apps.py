from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    name = "studio.deliveries"
    verbose_name = "Deliveries (an ad's deliverables, packed for a media buyer)"

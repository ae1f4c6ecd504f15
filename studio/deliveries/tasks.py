from celery import shared_task

from studio.generation.tasks import enqueue

from . import packing


@shared_task
def pack_delivery(delivery_id: int) -> None:
    packing.pack_run(delivery_id=delivery_id)


@shared_task
def check_deliveries() -> None:
    for delivery_id in packing.deliveries_check():
        enqueue(pack_delivery, delivery_id)

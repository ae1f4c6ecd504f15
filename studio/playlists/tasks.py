from celery import shared_task

from . import exports


@shared_task
def export_playlist(export_id: int) -> None:
    exports.export_run(export_id=export_id)

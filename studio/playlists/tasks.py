from celery import shared_task

from studio.generation.tasks import enqueue

from . import exports


@shared_task
def export_playlist(export_id: int) -> None:
    exports.export_run(export_id=export_id)


@shared_task
def sweep_stale_exports() -> None:
    for export_id in exports.exports_sweep():
        enqueue(export_playlist, export_id)

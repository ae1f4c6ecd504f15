import logging
import os

from celery import Celery
from celery.signals import after_setup_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat sends these every second or ten: at INFO, their "sending", "received" and "succeeded"
# lines would bury everything else in the log. They still log when they fail.
ROUTINE_TASKS = (
    "studio.generation.tasks.dispatch_due_steps",
    "studio.generation.tasks.sweep_stale_takes",
    "studio.playlists.tasks.sweep_stale_exports",
)


class RoutineTasksFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        return not any(name in message for name in ROUTINE_TASKS)


@after_setup_logger.connect
def quiet_routine_tasks(**kwargs) -> None:
    for name in ("celery.beat", "celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(name).addFilter(RoutineTasksFilter())

import pytest

from studio.celery import app as celery_app


@pytest.fixture
def eager_tasks():
    """Tasks run in the test process when sent (invitation mail, for `mail.outbox`)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False

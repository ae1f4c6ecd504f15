"""The studio's settings as served, for the bench's gunicorn: only static files differ. A
throwaway run has no collectstatic, so the manifest storage (DEBUG off) would refuse every
`{% static %}`; plain static URLs cost one dict lookup less, and nothing static is fetched."""

from studio.settings import *  # noqa: F403
from studio.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

"""Which pauses hold submissions, as every page's banner shows them: kept in the shared cache for
a few seconds, since every page and every live poll asks (67 times a second on a storyboard of
200 members) and a pause is rare. Whoever begins or ends a pause here forgets the kept answer
once that commits; one begun or ended elsewhere (the admin) shows within PAUSES_SECONDS, and
so does one committed while a page was reading the pauses before it. Without a shared Redis
(`make run`) each process keeps its own: a pause the worker begins reaches the pages within
PAUSES_SECONDS too."""

from django.core.cache import cache
from django.db import transaction

from .models import SubmitPause

PAUSES_KEY = "generation:active-pauses"
PAUSES_SECONDS = 5


def active_pauses() -> list[SubmitPause]:
    pauses = cache.get(PAUSES_KEY)
    if pauses is None:
        pauses = list(SubmitPause.objects.active())
        cache.set(PAUSES_KEY, pauses, PAUSES_SECONDS)
    return pauses


def pauses_changed() -> None:
    """Call where a pause begins or ends, inside its transaction."""
    transaction.on_commit(lambda: cache.delete(PAUSES_KEY))

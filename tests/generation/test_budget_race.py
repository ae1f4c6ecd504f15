"""The budget holds under a crowd: fifty Generate clicks at once on a project with room for ten
takes make exactly ten, and the others are told what is left. Run on SQLite and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from studio.generation import services
from studio.generation.models import Take

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CLICKS = 50


def test_fifty_concurrent_clicks_with_room_for_ten_make_exactly_ten(studio):
    studio.project.budget = Decimal("16.00")  # ten 4 s takes at $1.60
    studio.project.save()
    start = Barrier(CLICKS)

    def click(_) -> str:
        start.wait()
        try:
            services.take_create(user=studio.bob, shot=studio.shot)
            return "made"
        except ValidationError as error:
            return error.messages[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CLICKS) as pool:
        answers = list(pool.map(click, range(CLICKS)))

    assert answers.count("made") == 10
    refusals = set(answers) - {"made"}
    assert refusals == {"This take costs $1.60; the project has $0.00 left of its $16.00 budget."}
    assert Take.objects.count() == 10
    assert sorted(Take.objects.values_list("take_number", flat=True)) == list(range(1, 11))

"""The worker's log: the dispatcher's every-second ticks stay out of it, real work stays in."""

import logging

from studio.celery import RoutineTasksFilter


def record(level: int, message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("celery.app.trace", level, __file__, 1, message, args, None)


def test_routine_ticks_are_left_out_but_their_failures_and_other_tasks_are_not():
    keep = RoutineTasksFilter().filter
    tick = "studio.generation.tasks.dispatch_due_steps"
    assert not keep(record(logging.INFO, "Task %s[abc] succeeded in 0.004s: None", tick))
    assert not keep(
        record(logging.INFO, "Scheduler: Sending due task dispatch-due-steps (%s)", tick)
    )
    assert keep(record(logging.ERROR, "Task %s[abc] raised unexpected: OperationalError", tick))
    assert keep(record(logging.INFO, "Task studio.generation.tasks.submit_take[abc] received"))

"""For the links to the compare page: how many of a list of takes or exports are finished,
from the list as loaded (a shot's prefetched takes, a playlist's exports), with no query."""

from django import template

register = template.Library()


@register.filter
def count_status(rows, status: str) -> int:
    """`{% if shot.takes.all|count_status:"completed" > 1 %}`"""
    return sum(1 for row in rows if row.status == status)

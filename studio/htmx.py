"""What every app's views share: reading ids from a request, answering a refused change."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django_htmx.http import reswap, retarget
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as the views see it: django-htmx's middleware gives every one `htmx`
    (django-htmx's documented way to tell the type checker)."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request that `@login_required` let through: its user is an account, never anonymous
    (django-stubs' documented way to say so)."""

    user: User


MAX_ID_DIGITS = 18  # below 2**63: every id a bigint column holds


def parse_uuid(value: str) -> UUID | None:
    """A UUID from a form or query string; None for anything else (never a 500)."""
    try:
        return UUID(value)
    except (TypeError, ValueError):
        return None


def parse_id(value: str | None) -> int | None:
    """A database id from a form or query string: ASCII digits that fit a bigint; None for
    anything else ("abc", "²", a number of 5,000 digits), never a 500."""
    if value and value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return int(value)
    return None


def parse_uuids(values: list[str]) -> list[UUID]:
    return [uuid for uuid in map(parse_uuid, values) if uuid is not None]


def refused(
    request: HtmxHttpRequest, error: ValidationError, where: str, back: str
) -> HttpResponse:
    """A change refused with nothing written: the reasons in the alert area `where` of the page
    (htmx), or as messages on the page at `back` when the form was posted without JavaScript."""
    if not request.htmx:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    response = TemplateResponse(request, "alert.html", {"messages_list": error.messages})
    return reswap(retarget(response, where), "innerHTML")

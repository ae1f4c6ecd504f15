from django import template
from django.http import HttpRequest
from django.urls import reverse

from studio.generation.models import Take
from studio.review.decisions import Review, key_of
from studio.review.models import ReviewState, ShareLink
from studio.review.services import SHARE_DAYS, review_of
from studio.teams.models import Action
from studio.teams.services import user_can

register = template.Library()


@register.simple_tag
def take_review(take: Take) -> Review | None:
    """The take's review from its prefetched decisions and comments, or None when they were
    not loaded (a card redrawn by another view): the block then loads itself, rather than
    costing two queries per card."""
    if not hasattr(take, "prefetched_decisions"):
        return None
    return review_of(take)


@register.simple_tag(takes_context=True)
def review_allowed(context, take: Take) -> bool:
    """May the person looking comment and decide? Guests on a link may (the view checked the
    link); a member's role is looked up once per request, not once per take."""
    if context.get("share_token"):
        return True
    if "can_review" in context:
        return bool(context["can_review"])
    request: HttpRequest | None = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    return user_can(request, take.shot.storyboard.project.team_id, Action.REVIEW)


@register.simple_tag(takes_context=True)
def my_decision(context, review: Review) -> str:
    """The state the person looking stands by: the review control shows it pressed."""
    if context.get("share_token"):
        guest = context.get("guest")
        if guest is None:
            return ReviewState.IN_REVIEW
        return review.current_of(key_of(link_id=guest.link.pk, guest_name=guest.name))
    return review.current_of(key_of(user_id=context["request"].user.pk))


@register.simple_tag
def share_days() -> tuple[int, ...]:
    """How long a new link may last: the service's choices, offered as they are."""
    return SHARE_DAYS


@register.filter
def share_url(link: ShareLink, request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("share_open", args=[link.token]))

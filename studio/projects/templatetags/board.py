"""The board's frame of a shot: which take's poster it shows and the state written on it, read
from the takes already prefetched for the page, so a frame costs no query of its own. (The
shown take's review, a layer above, is added by the template through the review library.)"""

from dataclasses import dataclass
from typing import Any

from django import template

register = template.Library()


@dataclass(frozen=True)
class Frame:
    poster: Any  # the take whose poster is shown, or None for the placeholder
    state: str
    label: str


@register.simple_tag
def shot_frame(shot) -> Frame:
    """The selected take's poster, else the latest finished take's; the state at a glance:
    work in progress first (it changes next), then whether a take is there to look at."""
    takes = list(shot.takes.all())
    if not takes:
        return Frame(None, "none", "No take")
    done = [take for take in takes if take.status == "completed"]
    selected = next((take for take in done if take.pk == shot.selected_take_id), None)
    poster = selected or (max(done, key=lambda take: take.take_number) if done else None)
    if any(take.is_active for take in takes):
        return Frame(poster, "generating", "Generating")
    if poster is None:
        return Frame(None, "failed", "No take ready")
    return Frame(poster, "selected" if selected else "ready", "Selected" if selected else "Ready")

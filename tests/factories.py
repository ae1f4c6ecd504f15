"""One builder per object that more than one test file makes: the defaults are what the studio
would hold (a take priced by its model, billed once it completes), and a test names only what
it is about."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from studio.brands.models import BrandKit, Element
from studio.generation.models import Take, TakeStatus
from studio.playlists.models import Playlist
from studio.projects.models import Project, Shot, Storyboard
from studio.review.models import ShareLink
from studio.teams.models import Membership, Team

PASSWORD = "correct horse battery staple"
CENT = Decimal("0.01")


def make_user(username: str, team: Team, role: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    Membership.objects.create(team=team, user=user, role=role)
    return user


def make_shot(storyboard: Storyboard, position: int, *, video_model, **fields) -> Shot:
    """A 4 s 16:9 shot at `position` of the storyboard."""
    defaults = {"prompt": f"Shot {position} prompt", "duration": 4, "aspect_ratio": "16:9"}
    return Shot.objects.create(
        storyboard=storyboard, position=position, video_model=video_model, **defaults | fields
    )


def make_take(shot: Shot, number: int | None = None, **fields) -> Take:
    """A take of `shot` (see take_row), numbered after the shot's last take unless `number`
    is given, and saved."""
    take = take_row(shot, number or shot.takes.count() + 1, **fields)
    take.save(force_insert=True)
    return take


def take_row(
    shot: Shot,
    number: int,
    *,
    status: str = TakeStatus.COMPLETED,
    ratio: str | None = None,
    length: int | None = None,
    cost: Decimal | str | None = None,
    finished: datetime | None = None,
    **fields,
) -> Take:
    """Take `number` of `shot`, unsaved (for bulk_create), as the gateway would have left it
    in `status` without a call to it: `length` seconds in the shot's aspect ratio (or
    `ratio`), costing `cost` (by default the model's price for the length). A completed take
    is billed, its video's length and resolution known, and finished at `finished`. Other
    fields as given (a video file is the test's to save)."""
    length = length or shot.duration
    ratio = ratio or shot.aspect_ratio
    price = Decimal(cost) if cost is not None else shot.video_model.price_per_second * length
    done = status == TakeStatus.COMPLETED
    values = {
        "video_model": shot.video_model,
        "prompt": shot.prompt,
        "duration": length,
        "aspect_ratio": ratio,
        "status": status,
        "estimated_cost": price.quantize(CENT),
        "billed_cost": price.quantize(CENT) if done else None,
        "video_duration": Decimal(length) if done else None,
        "resolution": ("1280x720" if ratio == "16:9" else "720x1280") if done else "",
        "finished_at": finished,
    }
    return Take(shot=shot, take_number=number, **values | fields)


def make_playlist(project: Project, **fields) -> Playlist:
    """A 15 s YouTube playlist (16:9), made by the project's creator."""
    defaults = {
        "name": "Hero 15",
        "platform": "youtube",
        "aspect_ratio": "16:9",
        "target_seconds": 15,
        "created_by": project.created_by,
    }
    return Playlist.objects.create(project=project, **defaults | fields)


def make_link(target: Playlist | Storyboard, user: User, *, days: int = 7) -> ShareLink:
    """A share link to a playlist or a storyboard, written directly (no activity line)."""
    field = "playlist" if isinstance(target, Playlist) else "storyboard"
    return ShareLink.objects.create(
        **{field: target}, created_by=user, expires_at=timezone.now() + timedelta(days=days)
    )


def make_brand_kit(project: Project, elements: dict[str, str] | None = None, **fields) -> BrandKit:
    """A kit of the project's team, chosen by the project, with these @name descriptions."""
    kit = BrandKit.objects.create(team=project.team, name=fields.pop("name", "Lemonade"), **fields)
    Element.objects.bulk_create(
        Element(kit=kit, name=name, description=text) for name, text in (elements or {}).items()
    )
    project.brand_kit = kit
    project.save(update_fields=["brand_kit"])
    return kit

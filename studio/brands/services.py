"""Brand kits: creating, changing and removing them, and a project's choice of one. Each
function checks the acting user's role itself (EDIT on the kit's team), and checks every
field before anything is written, so a refused change leaves the kit as it was."""

from dataclasses import dataclass, fields
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from studio.teams.models import Action, Team
from studio.teams.services import require_action

from .fonts import FONTS_BY_KEY
from .logos import LOGO_MAX_BYTES, check_logo
from .models import BrandKit, Element


@dataclass(frozen=True)
class KitFields:
    """What a person types for a kit (the logo apart)."""

    name: str
    primary_colour: str
    secondary_colour: str
    font: str
    cta_text: str = ""
    cta_url: str = ""
    end_card_seconds: Decimal = Decimal("3")
    style_line: str = ""


def read_logo(upload: UploadedFile) -> ContentFile:
    """The upload's bytes, checked: at most one byte past the limit is read."""
    upload.seek(0)
    data = upload.read(LOGO_MAX_BYTES + 1)
    logo = check_logo(data)
    return ContentFile(data, name=f"logo.{logo.kind}")


def _apply(kit: BrandKit, values: KitFields, logo: UploadedFile | None) -> ContentFile | None:
    for field in fields(values):
        setattr(kit, field.name, getattr(values, field.name))
    kit.primary_colour = kit.primary_colour.upper()
    kit.secondary_colour = kit.secondary_colour.upper()
    errors: dict[str, list] = {}
    if kit.font not in FONTS_BY_KEY:
        errors["font"] = ["Choose one of the bundled fonts."]
    checked = None
    if logo is not None:
        try:
            checked = read_logo(logo)
        except ValidationError as error:
            errors["logo"] = error.messages
        else:
            kit.logo_type = checked.name.rsplit(".", 1)[-1]  # type: ignore[union-attr]
    try:
        kit.full_clean(exclude=["logo", "team", "created_by", *errors], validate_unique=False)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    clash = BrandKit.objects.filter(team_id=kit.team_id, name=kit.name).exclude(pk=kit.pk)
    if "name" not in errors and clash.exists():
        errors["name"] = [f"The team already has a brand kit called {kit.name}."]
    if errors:
        raise ValidationError(errors)
    return checked


def _save(kit: BrandKit, logo: ContentFile | None) -> None:
    try:
        with transaction.atomic():
            kit.save()
            if logo is not None:
                old = kit.logo.name
                kit.logo.save(logo.name or "logo", logo, save=False)
                kit.save(update_fields=["logo", "logo_type"])
                if old:
                    transaction.on_commit(lambda: kit.logo.storage.delete(old))
    except IntegrityError:  # two people naming kits alike at once
        raise ValidationError(
            {"name": [f"The team already has a brand kit called {kit.name}."]}
        ) from None


def brand_kit_create(
    *, user, team: Team, values: KitFields, logo: UploadedFile | None = None
) -> BrandKit:
    require_action(user=user, team=team, action=Action.EDIT)
    kit = BrandKit(team=team, created_by=user)
    checked = _apply(kit, values, logo)
    _save(kit, checked)
    return kit


def brand_kit_update(
    *, user, kit: BrandKit, values: KitFields, logo: UploadedFile | None = None
) -> BrandKit:
    """Change the kit's fields; a new logo replaces the old one, none keeps it."""
    require_action(user=user, team=kit.team, action=Action.EDIT)
    kit = BrandKit.objects.get(pk=kit.pk)  # a refused change leaves the caller's copy alone
    checked = _apply(kit, values, logo)
    _save(kit, checked)
    return kit


def brand_kit_delete(*, user, kit: BrandKit) -> None:
    """Projects that used the kit keep going without one (the foreign key sets null)."""
    require_action(user=user, team=kit.team, action=Action.EDIT)
    name = kit.logo.name
    with transaction.atomic():
        BrandKit.objects.filter(pk=kit.pk).delete()
        if name:
            transaction.on_commit(lambda: kit.logo.storage.delete(name))


# Elements: @name in a prompt, expanded when a take is sent (prompts.py)


def _element_check(element: Element) -> None:
    element.name = element.name.strip().lower()
    element.description = element.description.strip()
    errors: dict[str, list] = {}
    try:
        element.full_clean(exclude=["kit"], validate_unique=False)
    except ValidationError as error:
        errors = dict(error.message_dict)
    clash = Element.objects.filter(kit_id=element.kit_id, name=element.name)
    if "name" not in errors and clash.exclude(pk=element.pk).exists():
        errors["name"] = [f"This kit already has an element called @{element.name}."]
    if errors:
        raise ValidationError(errors)


def _element_save(element: Element) -> Element:
    try:
        with transaction.atomic():
            element.save()
    except IntegrityError:  # two people naming elements alike at once
        raise ValidationError(
            {"name": [f"This kit already has an element called @{element.name}."]}
        ) from None
    return element


def element_create(*, user, kit: BrandKit, name: str, description: str) -> Element:
    require_action(user=user, team=kit.team, action=Action.EDIT)
    element = Element(kit=kit, name=name, description=description)
    _element_check(element)
    return _element_save(element)


def element_update(*, user, element: Element, name: str, description: str) -> Element:
    """Takes already made keep the text they were sent with; the next ones use the new one."""
    require_action(user=user, team=element.kit.team, action=Action.EDIT)
    changed = Element.objects.get(pk=element.pk)  # a refused change leaves the caller's copy
    changed.name, changed.description = name, description
    _element_check(changed)
    return _element_save(changed)


def element_delete(*, user, element: Element) -> None:
    require_action(user=user, team=element.kit.team, action=Action.EDIT)
    Element.objects.filter(pk=element.pk).delete()

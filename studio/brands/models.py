from decimal import Decimal
from uuid import uuid4

from django.conf import settings
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.utils.functional import cached_property

from studio.teams.models import Team, TeamScopedQuerySet

from .fonts import DEFAULT_FONT, FONT_CHOICES
from .prompts import PromptAsSent, prompt_as_sent

END_CARD_MIN_SECONDS = Decimal("1")
END_CARD_MAX_SECONDS = Decimal("5")
STYLE_LINE_MAX_LENGTH = 300
ELEMENT_NAME_MAX_LENGTH = 40
ELEMENT_DESCRIPTION_MAX_LENGTH = 500

colour_validator = RegexValidator(
    r"^#[0-9A-Fa-f]{6}\Z", "Give a colour as # and six hex digits, like #1A2B3C."
)
https_validator = URLValidator(
    schemes=["https"], message="Give a full https:// address, like https://example.com/shop."
)


def logo_upload_to(kit: "BrandKit", filename: str) -> str:
    """Our own name, never the uploader's: the extension is the kind the bytes proved."""
    return f"brands/{kit.uuid}/logo-{uuid4().hex[:8]}.{kit.logo_type}"


class LogoType(models.TextChoices):
    PNG = "png", "PNG"
    SVG = "svg", "SVG"


class BrandKitQuerySet(TeamScopedQuerySet):
    team_path = "team"


class BrandKit(models.Model):
    """One client's look, which a project picks: logo, colours, font and the end card's
    defaults. The logo is checked (studio/brands/logos.py) before it is kept."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="brand_kits")
    name = models.CharField(max_length=120)
    logo = models.FileField(upload_to=logo_upload_to, blank=True, max_length=200)
    logo_type = models.CharField(max_length=3, choices=LogoType.choices, blank=True)
    primary_colour = models.CharField(
        max_length=7, default="#111111", validators=[colour_validator]
    )
    secondary_colour = models.CharField(
        max_length=7, default="#FFFFFF", validators=[colour_validator]
    )
    font = models.CharField(max_length=32, choices=FONT_CHOICES, default=DEFAULT_FONT)
    cta_text = models.CharField("call to action", max_length=80, blank=True)
    cta_url = models.CharField(
        "call-to-action URL", max_length=300, blank=True, validators=[https_validator]
    )
    # Appended to every shot's prompt when a take is made (studio/brands/prompts.py).
    style_line = models.CharField("prompt style line", max_length=STYLE_LINE_MAX_LENGTH, blank=True)
    end_card_seconds = models.DecimalField(
        "end-card length",
        max_digits=2,
        decimal_places=1,
        default=Decimal("3"),
        validators=[
            MinValueValidator(END_CARD_MIN_SECONDS),
            MaxValueValidator(END_CARD_MAX_SECONDS),
        ],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BrandKitQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="brand_kit_name_unique_in_team"),
            models.CheckConstraint(
                condition=models.Q(end_card_seconds__gte=END_CARD_MIN_SECONDS)
                & models.Q(end_card_seconds__lte=END_CARD_MAX_SECONDS),
                name="brand_kit_end_card_1_to_5_seconds",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def element_descriptions(self) -> dict[str, str]:
        """@name to description, read once per kit object: a page of shot cards that share
        one project (and so one kit object) costs one query for them all."""
        return dict(self.elements.values_list("name", "description"))

    def prompt_for(self, prompt: str, style: str | None = None) -> PromptAsSent:
        """The prompt as sent with this kit: its elements expanded, then the style line
        (the kit's own, or the one given for this generation)."""
        line = self.style_line if style is None else style
        return prompt_as_sent(prompt, self.element_descriptions, line)

    @property
    def logo_content_type(self) -> str:
        return "image/svg+xml" if self.logo_type == LogoType.SVG else "image/png"


element_name_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z",
    "Use lowercase letters, digits and single hyphens inside, like sneaker or red-jacket.",
)


class ElementQuerySet(TeamScopedQuerySet):
    team_path = "kit__team"


class Element(models.Model):
    """A named description (a product, a character, a place) that a prompt names as @name
    and that is expanded when a take is sent, so every shot describes it alike."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    kit = models.ForeignKey(BrandKit, on_delete=models.CASCADE, related_name="elements")
    name = models.CharField(max_length=ELEMENT_NAME_MAX_LENGTH, validators=[element_name_validator])
    description = models.TextField(
        max_length=ELEMENT_DESCRIPTION_MAX_LENGTH,
        validators=[MaxLengthValidator(ELEMENT_DESCRIPTION_MAX_LENGTH)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ElementQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "name"], name="element_name_unique_in_kit"),
        ]

    def __str__(self) -> str:
        return f"@{self.name}"

from decimal import Decimal

from django import forms

from .fonts import FONT_CHOICES
from .logos import LOGO_MAX_BYTES
from .models import (
    ELEMENT_DESCRIPTION_MAX_LENGTH,
    ELEMENT_NAME_MAX_LENGTH,
    END_CARD_MAX_SECONDS,
    END_CARD_MIN_SECONDS,
    STYLE_LINE_MAX_LENGTH,
    BrandKit,
    colour_validator,
    https_validator,
)
from .services import KitFields


class ColourInput(forms.TextInput):
    """A text box rather than <input type=color>: the hex value stays visible and typeable,
    and an invalid one comes back as typed, with its message."""

    def __init__(self) -> None:
        super().__init__(attrs={"maxlength": "7", "size": "8", "pattern": "#[0-9A-Fa-f]{6}"})


class BrandKitForm(forms.Form):
    name = forms.CharField(label="Name", max_length=BrandKit._meta.get_field("name").max_length)
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text=f"PNG or SVG, up to {LOGO_MAX_BYTES // 1024 // 1024} MB and 4096 pixels a side.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/svg+xml,.png,.svg"}),
    )
    primary_colour = forms.CharField(
        label="Primary colour", widget=ColourInput(), validators=[colour_validator]
    )
    secondary_colour = forms.CharField(
        label="Secondary colour", widget=ColourInput(), validators=[colour_validator]
    )
    font = forms.ChoiceField(
        label="Font",
        choices=FONT_CHOICES,
        error_messages={"invalid_choice": "Choose one of the bundled fonts."},
    )
    cta_text = forms.CharField(label="Call to action", max_length=80, required=False)
    cta_url = forms.CharField(
        label="Call-to-action URL",
        max_length=300,
        required=False,
        help_text="https:// only.",
        validators=[https_validator],
        widget=forms.URLInput(),
    )
    style_line = forms.CharField(
        label="Prompt style line",
        max_length=STYLE_LINE_MAX_LENGTH,
        required=False,
        help_text=(
            "Appended to every shot's prompt when a take is made, like "
            "“Shot on 35mm, warm golden light, brand palette teal and cream”."
        ),
    )
    end_card_seconds = forms.DecimalField(
        label="End-card length (seconds)",
        min_value=END_CARD_MIN_SECONDS,
        max_value=END_CARD_MAX_SECONDS,
        max_digits=2,
        decimal_places=1,
        initial=Decimal("3"),
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )

    @classmethod
    def for_kit(cls, kit: BrandKit) -> "BrandKitForm":
        initial = {name: getattr(kit, name) for name in cls.base_fields if name != "logo"}
        return cls(initial=initial)

    def values(self) -> KitFields:
        data = self.cleaned_data
        return KitFields(
            name=data["name"],
            primary_colour=data["primary_colour"],
            secondary_colour=data["secondary_colour"],
            font=data["font"],
            cta_text=data["cta_text"],
            cta_url=data["cta_url"],
            end_card_seconds=data["end_card_seconds"],
            style_line=data["style_line"].strip(),
        )


class ElementForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=ELEMENT_NAME_MAX_LENGTH,
        help_text="Written as @name in a prompt: lowercase letters, digits and hyphens.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    description = forms.CharField(
        label="Description",
        max_length=ELEMENT_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

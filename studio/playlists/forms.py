from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from studio.brands.models import END_CARD_MAX_SECONDS, END_CARD_MIN_SECONDS, https_validator

from .models import (
    CROSSFADE_MAX_SECONDS,
    CROSSFADE_MIN_SECONDS,
    MUSIC_GAIN_RANGE,
    TARGET_LENGTHS,
    Framing,
    Loudness,
    Platform,
    Playlist,
    PlaylistItem,
    Transition,
)
from .placements import PLACEMENT_LABELS, PLACEMENTS, SHORT_LENGTHS

LENGTH_CHOICES = [(str(s), f"{s} s") for s in TARGET_LENGTHS] + [("custom", "Custom")]


class PlaylistForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    platform = forms.ChoiceField(
        label="Placement", choices=Platform.choices, initial=Platform.YOUTUBE
    )
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio (custom)",
        choices=[("16:9", "16:9"), ("9:16", "9:16")],
        required=False,
        help_text="Used when the placement is Custom.",
    )
    length = forms.ChoiceField(label="Target length", choices=LENGTH_CHOICES, initial="15")
    custom_seconds = forms.IntegerField(
        label="Custom length (seconds)", min_value=1, max_value=600, required=False
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("length") == "custom":
            if not data.get("custom_seconds"):
                self.add_error("custom_seconds", "Give the custom length in seconds.")
            data["target_seconds"] = data.get("custom_seconds")
        elif data.get("length"):
            data["target_seconds"] = int(data["length"])
        return data


def settings_form(playlist: Playlist, data=None) -> PlaylistForm:
    """The playlist's own values; prefixed, since its page has other forms' fields."""
    preset = playlist.target_seconds in TARGET_LENGTHS
    initial = {
        "name": playlist.name,
        "platform": playlist.platform,
        "aspect_ratio": playlist.aspect_ratio,
        "length": str(playlist.target_seconds) if preset else "custom",
        "custom_seconds": None if preset else playlist.target_seconds,
    }
    return PlaylistForm(data, initial=initial, prefix="settings")


class TrimForm(forms.Form):
    trim_in = forms.DecimalField(
        label="In (s)", min_value=Decimal("0"), decimal_places=3, max_digits=7, required=False
    )
    trim_out = forms.DecimalField(
        label="Out (s)", min_value=Decimal("0"), decimal_places=3, max_digits=7, required=False
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            raise ValidationError("Trims are seconds, like 0.5 or 3.25.")
        return data


class ItemFinishForm(forms.Form):
    """An item's caption and its transition into the next; the service checks the rest."""

    caption = forms.CharField(
        label="Caption",
        max_length=PlaylistItem._meta.get_field("caption").max_length,
        required=False,
    )
    transition = forms.ChoiceField(label="Then", choices=Transition.choices, initial=Transition.CUT)
    transition_seconds = forms.DecimalField(
        label="Crossfade (s)",
        min_value=CROSSFADE_MIN_SECONDS,
        max_value=CROSSFADE_MAX_SECONDS,
        max_digits=3,
        decimal_places=2,
        required=False,
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        fading = data.get("transition") == Transition.CROSSFADE
        if fading and not self.errors and data.get("transition_seconds") is None:
            self.add_error(
                "transition_seconds",
                f"Give the crossfade's length: {CROSSFADE_MIN_SECONDS} to "
                f"{CROSSFADE_MAX_SECONDS} s.",
            )
        return data


class FinishingForm(forms.Form):
    """The end card and loudness of a playlist."""

    end_card = forms.BooleanField(label="Add an end card", required=False)
    end_card_seconds = forms.DecimalField(
        label="End-card length (s)",
        min_value=END_CARD_MIN_SECONDS,
        max_value=END_CARD_MAX_SECONDS,
        max_digits=2,
        decimal_places=1,
        required=False,
        help_text="Blank follows the brand kit (2 s without one).",
    )
    cta_text = forms.CharField(
        label="Call to action",
        max_length=Playlist._meta.get_field("cta_text").max_length,
        required=False,
    )
    cta_url = forms.CharField(
        label="Call-to-action URL",
        max_length=Playlist._meta.get_field("cta_url").max_length,
        required=False,
        validators=[https_validator],
    )
    loudness_target = forms.TypedChoiceField(
        label="Loudness target", choices=Loudness.choices, coerce=int, initial=Loudness.STREAMING
    )


class MusicForm(forms.Form):
    """A music bed's level; the file itself is checked by studio/playlists/music.py."""

    music_gain = forms.IntegerField(
        label="Music level",
        min_value=MUSIC_GAIN_RANGE[0],
        max_value=MUSIC_GAIN_RANGE[1],
        required=False,
    )


def form_errors(form: forms.Form) -> ValidationError:
    """A form's errors as one refusal: each message once, named by its field's label."""
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages += [f"{label}: {error}" if label else error for error in errors]
    return ValidationError(messages)


class FramingForm(forms.Form):
    """How a take of another ratio fills the frame; the service checks the centre too."""

    framing = forms.ChoiceField(label="Framing", choices=Framing.choices, initial=Framing.CROP)
    # Any number: the service says what a centre outside the frame means (not "4 digits").
    crop_x = forms.DecimalField(label="Crop centre, across", initial=Decimal("0.5"))
    crop_y = forms.DecimalField(label="Crop centre, down", initial=Decimal("0.5"))


class DeliverablesForm(forms.Form):
    """Placements and lengths: one deliverable for each of the one with each of the other."""

    placements = forms.MultipleChoiceField(
        label="Placements",
        choices=[(p, PLACEMENT_LABELS[p]) for p in PLACEMENTS],
        error_messages={"required": "Choose at least one placement."},
    )
    lengths = forms.MultipleChoiceField(
        label="Lengths",
        choices=[("full", "Full cut")] + [(str(n), f"{n} s") for n in SHORT_LENGTHS],
        error_messages={"required": "Choose at least one length."},
    )

    def clean_lengths(self) -> list[int | None]:
        return [None if n == "full" else int(n) for n in self.cleaned_data["lengths"]]

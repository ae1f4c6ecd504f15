from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from .models import TARGET_LENGTHS, Platform

LENGTH_CHOICES = [(str(s), f"{s} s") for s in TARGET_LENGTHS] + [("custom", "Custom")]


class PlaylistForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    platform = forms.ChoiceField(
        label="Platform", choices=Platform.choices, initial=Platform.YOUTUBE
    )
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio (custom)",
        choices=[("16:9", "16:9"), ("9:16", "9:16")],
        required=False,
        help_text="Used when the platform is Custom.",
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

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from .models import COMMENT_MAX_LENGTH


class CommentForm(forms.Form):
    # Not required here: the service says what is wrong with an empty comment, in one voice.
    body = forms.CharField(label="Comment", required=False, max_length=COMMENT_MAX_LENGTH * 2)
    at_seconds = forms.DecimalField(
        label="At (s)", required=False, min_value=Decimal("0"), max_digits=7, decimal_places=3
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if "at_seconds" in self.errors:
            raise ValidationError("A time in the video is seconds, like 3 or 12.5.")
        return data

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from .annotations import annotation_from_text
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


def annotation_field(data: QueryDict) -> object:
    """The comment form's drawing, a hidden field static/js/annotate.js fills with JSON text,
    decoded (the service checks its shapes)."""
    return annotation_from_text(data.get("annotation", ""))

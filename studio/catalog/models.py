from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

CENT = Decimal("0.01")


class VideoModelQuerySet(models.QuerySet):
    def enabled(self) -> "VideoModelQuerySet":
        return self.filter(is_enabled=True)


class VideoModel(models.Model):
    """A gateway model the studio can generate with. Rows, not code: add one in the admin."""

    slug = models.CharField(
        max_length=100, unique=True, help_text="The gateway's id, e.g. google/veo-3.1"
    )
    name = models.CharField(max_length=100)
    price_per_second = models.DecimalField(max_digits=8, decimal_places=4)
    min_duration = models.PositiveSmallIntegerField(default=1)
    max_duration = models.PositiveSmallIntegerField(default=60)
    aspect_ratios = models.JSONField(
        default=list, help_text='Accepted values, e.g. ["16:9", "9:16"]'
    )
    # Used to draw an estimated progress bar until finished takes teach a better figure.
    typical_render_seconds = models.PositiveIntegerField(default=90)
    is_enabled = models.BooleanField(default=True)

    objects = VideoModelQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.min_duration > self.max_duration:
            raise ValidationError("The shortest duration cannot exceed the longest.")
        if not self.aspect_ratios or not all(isinstance(r, str) for r in self.aspect_ratios):
            raise ValidationError({"aspect_ratios": "List at least one aspect ratio, as text."})

    def cost_for(self, duration: int) -> Decimal:
        return (self.price_per_second * duration).quantize(CENT)

    def duration_error(self, duration: int) -> str | None:
        if self.min_duration <= duration <= self.max_duration:
            return None
        return f"{self.name} makes videos of {self.min_duration} to {self.max_duration} seconds."

    def aspect_ratio_error(self, aspect_ratio: str) -> str | None:
        if aspect_ratio in self.aspect_ratios:
            return None
        return f"{self.name} accepts the aspect ratios {', '.join(self.aspect_ratios)}."

    def validate_request(self, *, duration: int, aspect_ratio: str) -> None:
        """Only what the model accepts reaches the gateway: Veo reserves credits, then fails."""
        errors = {}
        if message := self.duration_error(duration):
            errors["duration"] = message
        if message := self.aspect_ratio_error(aspect_ratio):
            errors["aspect_ratio"] = message
        if errors:
            raise ValidationError(errors)

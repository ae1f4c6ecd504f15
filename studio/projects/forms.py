from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Field, QuerySet
from django.utils.functional import cached_property

from studio.brands.models import BrandKit
from studio.catalog.models import VideoModel
from studio.teams.models import Team

from .models import PROMPT_MAX_LENGTH, Project, Shot, Storyboard, limit_of


def limited_text(model_field: Field, what: str, **kwargs) -> forms.CharField:
    """A form field held to its model field's limit, refused in the studio's words (and the
    browser's maxlength stops typing past it). NUL characters are refused by every CharField."""
    limit = limit_of(model_field, what)
    field = forms.CharField(required=not model_field.blank, validators=[limit], **kwargs)
    field.widget.attrs["maxlength"] = str(limit.limit_value)
    return field


class TeamKitChoiceField(forms.ModelChoiceField):
    """Brand kits, named with their team's name when the form offers several teams."""

    show_team = False

    def label_from_instance(self, obj) -> str:
        return f"{obj.team.name}: {obj.name}" if self.show_team else obj.name


def brand_kit_field(refused: str) -> TeamKitChoiceField:
    """An optional choice of brand kit, by its uuid; the form narrows it to the team's kits."""
    return TeamKitChoiceField(
        label="Brand kit",
        queryset=BrandKit.objects.none(),
        required=False,
        empty_label="No brand kit",
        to_field_name="uuid",
        error_messages={"invalid_choice": refused},
    )


class ProjectForm(forms.Form):
    name = limited_text(Project.name.field, "name", label="Name")
    client = limited_text(Project.client.field, "client's name", label="Client")
    budget = forms.DecimalField(
        label="Budget (USD)",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    team = forms.ModelChoiceField(label="Team", queryset=Team.objects.none(), empty_label=None)
    # Any kit of the teams offered; the service checks it is the chosen team's.
    brand_kit = brand_kit_field("Choose one of the team's brand kits.")

    def __init__(self, *args, teams: QuerySet[Team], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = teams
        # The field's own copy of the query, which the choices read too.
        self.teams = team.queryset
        kits = self.fields["brand_kit"]
        assert isinstance(kits, TeamKitChoiceField)
        kits.queryset = BrandKit.objects.filter(team__in=teams).select_related("team")
        if len(self.teams) == 1:  # evaluated once, cached for the choices
            team.widget = forms.HiddenInput()
            team.initial = self.teams[0]
        else:
            kits.show_team = True


class ProjectBrandKitForm(forms.Form):
    """A project's brand kit: one of its own team's, or none."""

    brand_kit = brand_kit_field("Choose one of this team's brand kits.")

    def __init__(self, *args, project: Project, **kwargs) -> None:
        kwargs.setdefault("initial", {"brand_kit": project.brand_kit})
        super().__init__(*args, **kwargs)
        field = self.fields["brand_kit"]
        assert isinstance(field, TeamKitChoiceField)
        field.queryset = BrandKit.objects.filter(team_id=project.team_id)


class StoryboardForm(forms.Form):
    title = limited_text(Storyboard.title.field, "title", label="Title")


@dataclass(frozen=True)
class Estimate:
    duration: int | None = None
    cost: Decimal | None = None
    error: str | None = None


class ShotForm(forms.Form):
    """The fields follow the chosen model: only its aspect ratios and durations are offered."""

    video_model = forms.ModelChoiceField(
        label="Model", queryset=VideoModel.objects.enabled(), empty_label=None
    )
    title = limited_text(Shot.title.field, "title", label="Title")
    prompt = forms.CharField(
        label="Prompt",
        max_length=PROMPT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Range checked in clean() with the chosen model's limits and wording.
    duration = forms.IntegerField(label="Duration (seconds)")
    aspect_ratio = forms.ChoiceField(label="Aspect ratio")
    notes = limited_text(
        Shot.notes.field, "notes", label="Notes", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, video_model: VideoModel, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.catalog_model = video_model
        self.fields["video_model"].initial = video_model
        duration = self.fields["duration"]
        duration.widget.attrs.update(min=video_model.min_duration, max=video_model.max_duration)
        duration.initial = min(max(5, video_model.min_duration), video_model.max_duration)
        ratios = self.fields["aspect_ratio"]
        assert isinstance(ratios, forms.ChoiceField)
        ratios.choices = [(ratio, ratio) for ratio in video_model.aspect_ratios]
        ratios.initial = video_model.aspect_ratios[0]
        # No maxlength on the prompt: the browser would cut a pasted prompt silently. The page
        # counts as the user types and says when it is over; the field refuses it in words.
        prompt = self.fields["prompt"]
        prompt.widget.attrs.pop("maxlength", None)
        prompt.widget.attrs["data-limit"] = str(PROMPT_MAX_LENGTH)

    @cached_property
    def offers_model_choice(self) -> bool:
        models = self.fields["video_model"]
        assert isinstance(models, forms.ModelChoiceField) and models.queryset is not None
        return models.queryset.count() > 1

    def estimate(self) -> Estimate:
        """The cost of one take at the duration typed so far, for the live estimate."""
        raw = self["duration"].value()
        if raw in (None, ""):
            return Estimate()
        try:
            duration = int(raw)
        except (TypeError, ValueError):
            return Estimate(error="Enter the duration as a whole number of seconds.")
        if error := self.catalog_model.duration_error(duration):
            return Estimate(error=error)
        return Estimate(duration=duration, cost=self.catalog_model.cost_for(duration))

    def clean_prompt(self) -> str:
        prompt = self.cleaned_data["prompt"].strip()
        if not prompt:
            raise ValidationError("Describe the shot: the prompt cannot be empty.")
        return prompt

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        model = data.get("video_model")
        if model and data.get("duration") is not None and data.get("aspect_ratio"):
            try:
                model.validate_request(duration=data["duration"], aspect_ratio=data["aspect_ratio"])
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return data


class ShotEditForm(ShotForm):
    """Editing a shot in place: it carries the version the editor started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def for_shot(cls, shot, data=None) -> "ShotEditForm":
        initial = {name: getattr(shot, name) for name in ("title", "prompt", "duration", "notes")}
        initial |= {"aspect_ratio": shot.aspect_ratio, "video_model": shot.video_model_id}
        initial["version"] = shot.version
        return cls(data, initial=initial, video_model=shot.video_model, prefix=f"edit-{shot.pk}")


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: prompt, duration, aspect ratio, and optionally title and notes.",
    )


class BudgetForm(forms.Form):
    budget = forms.DecimalField(
        label="Budget (USD)",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )

"""Every text a person types into a project, a storyboard or a shot has one limit, the same in
the forms, on the model and in the CSV import, and NUL characters are refused on every path.
A CSV upload over the size limit is refused before it is read."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.urls import reverse
from django.utils.http import urlencode

from studio.projects import csv_import
from studio.projects.forms import ProjectForm, ShotEditForm, ShotForm, StoryboardForm
from studio.projects.models import NOTES_MAX_LENGTH, Shot
from studio.teams.models import Team

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def shot_data(studio, **overrides) -> dict:
    data = {
        "video_model": studio.veo.pk,
        "title": "Hook",
        "prompt": "A can opens in slow motion",
        "duration": 6,
        "aspect_ratio": "16:9",
        "notes": "",
    }
    return data | overrides


def project_form(**overrides) -> ProjectForm:
    data = {"name": "Winter sale", "client": "Snow Inc", "budget": "10"} | overrides
    return ProjectForm(data, teams=Team.objects.all())


# Each form's text fields, with the limit the model holds them to and the field's words.
FORMS = [
    ("project", "name", 120, "name"),
    ("project", "client", 120, "client's name"),
    ("storyboard", "title", 120, "title"),
    ("shot", "title", 120, "title"),
    ("shot", "notes", NOTES_MAX_LENGTH, "notes"),
    ("shot edit", "title", 120, "title"),
    ("shot edit", "notes", NOTES_MAX_LENGTH, "notes"),
]


def bound(kind: str, studio, field: str, value: str):
    if kind == "project":
        return project_form(**{field: value, "team": studio.team.pk})
    if kind == "storyboard":
        return StoryboardForm({field: value})
    if kind == "shot":
        return ShotForm(shot_data(studio, **{field: value}), video_model=studio.veo)
    prefix = f"edit-{studio.shot.pk}"
    data = {f"{prefix}-{name}": value for name, value in shot_data(studio).items()}
    data |= {f"{prefix}-{field}": value, f"{prefix}-version": 1}
    return ShotEditForm.for_shot(studio.shot, data)


@pytest.mark.parametrize(("kind", "field", "limit", "what"), FORMS)
def test_each_form_holds_text_to_the_models_limit_in_plain_words(studio, kind, field, limit, what):
    assert bound(kind, studio, field, "x" * limit).is_valid()
    form = bound(kind, studio, field, "x" * (limit + 1))

    assert not form.is_valid()
    assert form.errors[field] == [f"Keep the {what} to {limit} characters ({limit + 1} now)."]
    assert form[field].field.widget.attrs["maxlength"] == str(limit)


@pytest.mark.parametrize(
    ("kind", "field"), [(kind, field) for kind, field, *_ in FORMS] + [("shot", "prompt")]
)
def test_each_form_refuses_nul_characters(studio, kind, field):
    form = bound(kind, studio, field, "Lemon\x00ade")

    assert not form.is_valid()
    assert form.errors[field] == ["Null characters are not allowed."]


def test_the_model_refuses_overlong_notes(studio):
    studio.shot.notes = "x" * (NOTES_MAX_LENGTH + 1)

    with pytest.raises(ValidationError) as refused:
        studio.shot.full_clean()

    assert refused.value.message_dict["notes"] == [
        f"Keep the notes to {NOTES_MAX_LENGTH} characters ({NOTES_MAX_LENGTH + 1} now)."
    ]


def test_overlong_notes_are_refused_by_the_add_shot_view_and_the_text_kept(client, studio):
    client.force_login(studio.bob)
    data = shot_data(studio, notes="Mention the lemons. " + "x" * NOTES_MAX_LENGTH)

    response = client.post(reverse("shot_create", args=[studio.storyboard.uuid]), data, **HTMX)

    assert f"Keep the notes to {NOTES_MAX_LENGTH} characters" in response.text
    assert "Mention the lemons." in response.text
    assert Shot.objects.count() == 1


# The CSV import


def csv_row(**cells: str) -> str:
    """A CSV file of one shot, its cells as given."""
    row = {"title": "Hook", "prompt": "A can opens", "duration": "6", "ratio": "16:9", "notes": ""}
    return f"{','.join(row)}\n{','.join((row | cells).values())}\n"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"title": "x" * 121}, "Keep the title to 120 characters (121 now)."),
        (
            {"notes": "x" * (NOTES_MAX_LENGTH + 1)},
            f"Keep the notes to {NOTES_MAX_LENGTH} characters ({NOTES_MAX_LENGTH + 1} now).",
        ),
        ({"prompt": "x" * 2001}, "Keep the prompt to 2000 characters (2001 now)."),
    ],
    ids=["title", "notes", "prompt"],
)
def test_a_csv_row_is_held_to_the_same_limits(studio, cells, message):
    parsed = csv_import.parse(csv_row(**cells), video_model=studio.veo)

    assert parsed.rows[0].errors == [message]


def upload(client, studio, data: bytes):
    url = reverse("storyboard_import", args=[studio.storyboard.uuid])
    return client.post(url, {"file": SimpleUploadedFile("shots.csv", data, "text/csv")})


@pytest.mark.postgres
def test_a_csv_upload_with_nul_is_refused_with_a_message(client, studio):
    client.force_login(studio.bob)

    page = upload(client, studio, csv_row(notes="close\x00up").encode()).text

    assert "The file holds NUL characters" in page
    assert Shot.objects.count() == 1


@pytest.mark.postgres
def test_csv_text_sent_back_with_nul_is_refused_and_nothing_saved(client, studio):
    client.force_login(studio.bob)
    url = reverse("storyboard_import", args=[studio.storyboard.uuid])

    page = client.post(url, {"csv_text": csv_row(notes="close\x00up")}).text

    assert "The file holds NUL characters" in page
    assert Shot.objects.count() == 1


def read_at_most_the_limit(upload: UploadedFile, size: int = -1) -> bytes:
    """An upload's read() that fails the test if it asks for more than the limit and a byte."""
    assert 0 <= size <= csv_import.MAX_BYTES + 1, f"read({size}) of a {upload.size}-byte upload"
    return upload.file.read(size)


def test_an_oversized_csv_upload_is_refused_before_it_is_read_whole(client, studio, monkeypatch):
    client.force_login(studio.bob)
    sent = io.BytesIO(csv_row().encode() + b"x" * csv_import.MAX_BYTES)
    sent.name = "shots.csv"
    monkeypatch.setattr(UploadedFile, "read", read_at_most_the_limit)  # the view's upload

    url = reverse("storyboard_import", args=[studio.storyboard.uuid])
    page = client.post(url, {"file": sent}).text

    assert "The file is over 1000 kB: split it into parts." in page
    assert Shot.objects.count() == 1


class ReadWholeRefused(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        assert size is not None and 0 <= size <= csv_import.MAX_BYTES + 1, f"read({size})"
        return super().read(size)


def test_a_file_whose_size_lies_is_still_bounded(studio):
    data = csv_row().encode() + b"x" * csv_import.MAX_BYTES
    upload = SimpleUploadedFile("shots.csv", b"", "text/csv")
    upload.file, upload.size = ReadWholeRefused(data), 10

    with pytest.raises(csv_import.UnreadableFile, match=r"over 1000 kB"):
        csv_import.read_upload(upload)


@pytest.mark.postgres
def test_the_largest_csv_the_preview_accepts_can_be_imported(client, studio):
    # The preview sends the checked text back form-encoded, where each byte of "é" takes
    # three: a file under the 1 MB limit once made a request over Django's 2.5 MB.
    prompt = "é" * 2000
    text = "prompt,duration,ratio\n" + f"{prompt},4,16:9\n" * 240
    assert 900_000 < len(text.encode()) <= csv_import.MAX_BYTES
    client.force_login(studio.bob)
    url = reverse("storyboard_import", args=[studio.storyboard.uuid])

    response = client.post(
        url, urlencode({"csv_text": text}), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 302
    assert Shot.objects.count() == 241

"""A playlist's music bed: an uploaded song checked by playing it (probe_audio), never by its
name or the browser's content type; bounded in bytes before it is read whole and in length
before it is kept. The export engine loops or cuts it to the ad's length, fades it and ducks it
under the takes' own sound (studio.stitch.MusicBed); the page's preview plays it under the takes.

Each function checks the acting user's role itself (EDIT on the playlist's team), and a refused
upload leaves the playlist, and the bed it had, as they were."""

import math
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.media_probe import Unplayable, probe_audio
from studio.stitch import MusicBed
from studio.stitch.finishing import MUSIC_MAX_SECONDS
from studio.stored_files import local_copy
from studio.teams.models import Action
from studio.teams.services import require_action

from .models import (
    MUSIC_DEFAULT_GAIN,
    MUSIC_FIELDS,
    MUSIC_GAIN_RANGE,
    MUSIC_MAX_BYTES,
    Playlist,
)

# What the page's level select offers (the service takes the whole range the model allows).
MUSIC_LEVELS = tuple(range(-6, -25, -3))
# The content types the file view answers with, by the stored name's ending: anything else is
# sent as bytes (an <audio> element sniffs it; a browser never renders it as a page).
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".webm": "audio/webm",
}
CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _require_edit(user, playlist: Playlist) -> None:
    require_action(user=user, team=playlist.project.team, action=Action.EDIT)


def _locked(playlist: Playlist) -> Playlist:
    """The playlist's row again, locked (two people changing its bed at once), on its own copy:
    a refused change leaves the caller's as it was. The project the caller loaded comes along."""
    locked = Playlist.objects.select_for_update().get(pk=playlist.pk)
    locked.project = playlist.project
    return locked


def display_name(name: str) -> str:
    """The upload's own name as people see it: no folders, no control characters."""
    name = _CONTROL.sub("", Path(name or "").name).strip()
    limit = Playlist._meta.get_field("music_name").max_length or 200
    return name[:limit] or "music"


def stored_name(name: str) -> str:
    """<uuid>/<safe name> under music/: unique, so a replaced or shared bed is never
    overwritten, and ASCII letters, digits, dots, dashes and underscores only."""
    path = Path(display_name(name))
    suffix = path.suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,5}", path.suffix.lower()) else ""
    stem = _UNSAFE.sub("_", path.stem).strip("._")[:80] or "music"
    return f"{uuid4()}/{stem}{suffix}"


def _length(seconds: Decimal) -> str:
    """Rounded up: a bed of 600.4 s must not read as the 10 min it is refused for passing."""
    minutes, rest = divmod(math.ceil(seconds), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def too_big(name: str) -> ValidationError:
    megabytes = MUSIC_MAX_BYTES // 1024 // 1024
    return ValidationError(
        {
            "music": f"{name} is over {megabytes} MB: a music bed can be at most {megabytes} MB "
            "(a compressed file, MP3 or AAC, is much smaller)."
        }
    )


def _copy(upload, name: str, into) -> None:
    """The upload into a file on disk (PyAV opens a path), at most one byte past the bound:
    the size a client declared is checked first, the bytes read are counted anyway."""
    if (upload.size or 0) > MUSIC_MAX_BYTES:
        raise too_big(name)
    upload.seek(0)
    copied = 0
    for chunk in upload.chunks(CHUNK):
        copied += len(chunk)
        if copied > MUSIC_MAX_BYTES:
            raise too_big(name)
        into.write(chunk)
    into.flush()
    if not copied:
        raise ValidationError({"music": f"{name} is empty: choose an audio file."})


def check_music(path: Path, name: str) -> Decimal:
    """The bed's length, once FFmpeg has decoded sound from it; a clear refusal if it is not
    sound, or runs longer than the engine takes."""
    try:
        info = probe_audio(path)
    except Unplayable as error:
        # The prober names the temporary file: the reason alone, in FFmpeg's words if it has them.
        reason = getattr(error.__cause__, "strerror", None) or str(error).replace(path.name, "it")
        raise ValidationError(
            {"music": f"{name} is not an audio file we can play ({reason})."}
        ) from None
    if info.duration <= 0:
        raise ValidationError({"music": f"{name} has no length: choose another audio file."})
    if info.duration > MUSIC_MAX_SECONDS:
        raise ValidationError(
            {
                "music": f"{name} runs {_length(info.duration)}; a music bed can be at most "
                f"{_length(Decimal(MUSIC_MAX_SECONDS))}."
            }
        )
    return info.duration


def _check_gain(gain: int) -> None:
    low, high = MUSIC_GAIN_RANGE
    if not low <= gain <= high:
        raise ValidationError({"music_gain": f"The music's level is {low} to {high} dB."})


def playlist_music_set(*, user, playlist: Playlist, upload, gain: int | None = None) -> Playlist:
    """Check the upload and make it the playlist's music bed (and set its level, if given).
    The bed it replaces is kept until the new one is saved, then deleted unless another
    playlist (a deliverable made from this ad) still plays it."""
    _require_edit(user, playlist)
    if gain is not None:
        _check_gain(gain)
    name = display_name(getattr(upload, "name", ""))
    with tempfile.NamedTemporaryFile(prefix="music-") as temporary:
        _copy(upload, name, temporary)
        seconds = check_music(Path(temporary.name), name)
        temporary.seek(0)
        saved = ""
        try:
            with transaction.atomic():
                playlist = _locked(playlist)
                old = playlist.music.name
                playlist.music.save(stored_name(name), File(temporary), save=False)
                saved = playlist.music.name or ""
                playlist.music_name, playlist.music_seconds = name, seconds
                if gain is not None:
                    playlist.music_gain = gain
                playlist.save(update_fields=[*MUSIC_FIELDS, "updated_at"])
                activity_record(
                    project=playlist.project,
                    verb=Verb.EDITED,
                    subject=f"playlist {playlist.name}: music bed {name} ({seconds:.1f} s)",
                    actor=user,
                )
                if old:
                    storage = playlist.music.storage
                    transaction.on_commit(lambda: _delete_unless_shared(storage, old))
        except BaseException:
            # The file is written before the row: when the row is not, the file goes too.
            if saved:
                playlist.music.storage.delete(saved)
            raise
    return playlist


def playlist_music_gain_set(*, user, playlist: Playlist, gain: int) -> Playlist:
    """The bed's level in dB before it is mixed and ducked (kept without a bed too)."""
    _require_edit(user, playlist)
    _check_gain(gain)
    playlist.music_gain = gain
    playlist.save(update_fields=["music_gain", "updated_at"])
    return playlist


def playlist_music_remove(*, user, playlist: Playlist) -> Playlist:
    """No music: the fields are cleared, and the file deleted unless another playlist (a
    deliverable made from this ad) still plays it."""
    _require_edit(user, playlist)
    with transaction.atomic():
        playlist = _locked(playlist)
        old, name = playlist.music.name, playlist.music_name
        if not old:
            return playlist
        playlist.music, playlist.music_name, playlist.music_seconds = "", "", None
        playlist.save(update_fields=["music", "music_name", "music_seconds", "updated_at"])
        activity_record(
            project=playlist.project,
            verb=Verb.EDITED,
            subject=f"playlist {playlist.name}: music bed {name} removed",
            actor=user,
        )
        transaction.on_commit(lambda: _delete_unless_shared(playlist.music.storage, old))
    return playlist


def _delete_unless_shared(storage, name: str) -> None:
    """Checked once the change is committed: a playlist that took the file meanwhile keeps it."""
    if not Playlist.objects.filter(music=name).exists():
        storage.delete(name)


def music_bed(playlist: Playlist, *, workdir: Path) -> MusicBed | None:
    """The engine's music bed of this playlist, or None without one (read from `workdir` when
    its storage has no paths)."""
    if not playlist.music:
        return None
    return MusicBed(local_copy(playlist.music, workdir), gain=Decimal(playlist.music_gain))


def music_manifest(playlist: Playlist) -> dict | None:
    """The bed as an export's manifest records it."""
    if not playlist.music:
        return None
    return {
        "name": playlist.music_name,
        "seconds": str(playlist.music_seconds),
        "gain": str(playlist.music_gain),
    }


def music_content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def music_context(playlist: Playlist) -> dict:
    """The page's music section."""
    levels = sorted({*MUSIC_LEVELS, playlist.music_gain}, reverse=True)
    return {
        "music_levels": levels,
        "music_default_gain": MUSIC_DEFAULT_GAIN,
        "music_max_mb": MUSIC_MAX_BYTES // 1024 // 1024,
        "music_max_minutes": MUSIC_MAX_SECONDS // 60,
        "music_volume": f"{10 ** (playlist.music_gain / 20):.3f}",
    }

"""A playlist's music bed: an upload checked by playing it, bounded in bytes and length, kept
under a unique name, shown and served on the playlist's page, and handed to the export engine."""

import math
import subprocess
from array import array
from decimal import Decimal
from pathlib import Path

import av
import imageio_ffmpeg
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from studio.activity.models import Activity
from studio.media_probe import AudioInfo
from studio.playlists import exports, music, services
from studio.playlists.finish_spec import finish_spec
from studio.playlists.models import ExportStatus, Playlist
from studio.stitch import MusicBed
from tests.factories import make_playlist, make_take

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def ffmpeg(path: Path, *arguments: str) -> bytes:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*command, *arguments, str(path)], check=True, timeout=60)
    return path.read_bytes()


@pytest.fixture(scope="session")
def sounds(tmp_path_factory) -> dict[str, bytes]:
    """Real audio files, made once: a 1.5 s tone in the common formats, and a bed one second
    longer than the engine takes (601 s of 8 kHz mono at 8 kbit/s: about 600 KB)."""
    folder = tmp_path_factory.mktemp("sounds")
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1.5"]
    return {
        "wav": ffmpeg(folder / "tone.wav", *tone),
        "mp3": ffmpeg(folder / "tone.mp3", *tone, "-c:a", "libmp3lame", "-b:a", "32k"),
        "m4a": ffmpeg(folder / "tone.m4a", *tone, "-c:a", "aac", "-b:a", "32k"),
        "ogg": ffmpeg(folder / "tone.ogg", *tone, "-c:a", "libopus", "-b:a", "24k"),
        "flac": ffmpeg(folder / "tone.flac", *tone),
        "long": ffmpeg(
            folder / "long.mp3",
            *("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "601"),
            *("-c:a", "libmp3lame", "-b:a", "8k"),
        ),
    }


def upload(data: bytes, name: str = "Summer Song.mp3") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "audio/mpeg")


def set_music(studio, playlist, data, name="Summer Song.mp3", user=None, gain=None):
    return music.playlist_music_set(
        user=user or studio.bob, playlist=playlist, upload=upload(data, name), gain=gain
    )


def refusal(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return " ".join(caught.value.messages)


def stored(playlist: Playlist) -> list[Path]:
    root = Path(playlist.music.storage.location) / "music"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


# -- Uploading a bed


@pytest.mark.parametrize("kind", ["wav", "mp3", "m4a", "ogg", "flac"])
def test_common_formats_are_accepted_with_their_length(studio, playlist, sounds, kind):
    playlist = set_music(studio, playlist, sounds[kind], name=f"Summer Song.{kind}")
    playlist.refresh_from_db()
    assert playlist.music_name == f"Summer Song.{kind}"
    assert Decimal("1.4") <= playlist.music_seconds <= Decimal("1.6")
    assert playlist.music_gain == -12
    assert playlist.music.name.startswith("music/") and playlist.music.name.endswith(
        f"/Summer_Song.{kind}"
    )
    assert Path(playlist.music.path).read_bytes() == sounds[kind]


def test_the_format_is_found_by_probing_not_by_the_name(studio, playlist, sounds):
    playlist = set_music(studio, playlist, sounds["m4a"], name="bed.mp3")
    assert playlist.music_name == "bed.mp3" and playlist.music_seconds > 1


def test_a_text_file_named_mp3_is_refused_with_its_name(studio, playlist):
    message = refusal(lambda: set_music(studio, playlist, b"not a song\n" * 50, "song.mp3"))
    assert message.startswith("song.mp3 is not an audio file we can play (")
    assert "tmp" not in message and "/" not in message  # the temporary file is not named
    playlist.refresh_from_db()
    assert not playlist.music and playlist.music_name == ""
    assert stored(playlist) == []


def test_an_empty_file_is_refused(studio, playlist):
    assert refusal(lambda: set_music(studio, playlist, b"", "blank.wav")) == (
        "blank.wav is empty: choose an audio file."
    )


def test_a_bed_longer_than_ten_minutes_is_refused_and_nothing_kept(studio, playlist, sounds):
    message = refusal(lambda: set_music(studio, playlist, sounds["long"], "album.mp3"))
    assert message == "album.mp3 runs 10 min 1 s; a music bed can be at most 10 min."
    playlist.refresh_from_db()
    assert not playlist.music and stored(playlist) == []


def test_an_hour_is_said_in_minutes(studio, playlist, sounds, monkeypatch):
    monkeypatch.setattr(music, "probe_audio", lambda path: _info(Decimal("3660")))
    message = refusal(lambda: set_music(studio, playlist, sounds["wav"], "mix.wav"))
    assert message == "mix.wav runs 61 min; a music bed can be at most 10 min."


def test_a_fraction_over_ten_minutes_is_not_said_as_ten(studio, playlist, sounds, monkeypatch):
    monkeypatch.setattr(music, "probe_audio", lambda path: _info(Decimal("600.2")))
    message = refusal(lambda: set_music(studio, playlist, sounds["wav"], "mix.wav"))
    assert message == "mix.wav runs 10 min 1 s; a music bed can be at most 10 min."


def _info(seconds: Decimal) -> AudioInfo:
    return AudioInfo(duration=seconds, codec="mp3", sample_rate=44100, channels=2)


class NotToBeRead(SimpleUploadedFile):
    def chunks(self, chunk_size=None):
        raise AssertionError("a file over the bound was read")

    def read(self, *args):
        raise AssertionError("a file over the bound was read")


def test_a_file_over_the_byte_bound_is_refused_before_it_is_read(studio, playlist, monkeypatch):
    monkeypatch.setattr(music, "MUSIC_MAX_BYTES", 1024 * 1024)
    big = NotToBeRead("wedding.wav", b"\x00" * (1024 * 1024 + 1), "audio/wav")
    message = refusal(
        lambda: music.playlist_music_set(user=studio.bob, playlist=playlist, upload=big)
    )
    assert message.startswith("wedding.wav is over 1 MB: a music bed can be at most 1 MB")


def test_the_bytes_read_are_counted_whatever_size_was_declared(
    studio, playlist, sounds, monkeypatch
):
    monkeypatch.setattr(music, "MUSIC_MAX_BYTES", 1000)
    lying = upload(sounds["wav"], "small.wav")
    lying.size = 10
    message = refusal(
        lambda: music.playlist_music_set(user=studio.bob, playlist=playlist, upload=lying)
    )
    assert "small.wav is over" in message


def test_a_name_with_folders_and_odd_characters_is_stored_safely(studio, playlist, sounds):
    playlist = set_music(studio, playlist, sounds["wav"], name="../../etc/Été <3>.wav")
    assert playlist.music_name == "Été <3>.wav"
    folder, file = playlist.music.name.split("/")[1:]
    assert len(folder) == 36 and file == "t_3.wav"


def test_the_level_is_set_with_the_upload_and_checked(studio, playlist, sounds):
    playlist = set_music(studio, playlist, sounds["wav"], gain=-18)
    assert Playlist.objects.get(pk=playlist.pk).music_gain == -18
    assert "-30 to 0 dB" in refusal(lambda: set_music(studio, playlist, sounds["wav"], gain=3))


def test_the_level_alone(studio, playlist):
    music.playlist_music_gain_set(user=studio.bob, playlist=playlist, gain=-24)
    assert Playlist.objects.get(pk=playlist.pk).music_gain == -24
    with pytest.raises(ValidationError):
        music.playlist_music_gain_set(user=studio.bob, playlist=playlist, gain=-31)


def test_the_upload_is_recorded_in_the_activity_log(studio, playlist, sounds):
    set_music(studio, playlist, sounds["wav"], name="bed.wav")
    line = Activity.objects.get(project=studio.project)
    assert (line.actor, line.verb) == (studio.bob, "edited")
    assert line.subject == "playlist Hero 15: music bed bed.wav (1.5 s)"


@pytest.mark.parametrize("who", ["rita", "vera"])
def test_only_editors_may_set_or_remove_music(studio, playlist, sounds, who):
    user = getattr(studio, who)
    with pytest.raises(PermissionDenied):
        set_music(studio, playlist, sounds["wav"], user=user)
    with pytest.raises(PermissionDenied):
        music.playlist_music_gain_set(user=user, playlist=playlist, gain=-6)
    with pytest.raises(PermissionDenied):
        music.playlist_music_remove(user=user, playlist=playlist)
    assert stored(playlist) == []


# -- Replacing and removing


def test_replacing_keeps_the_old_file_until_the_new_one_is_saved(
    studio, playlist, sounds, django_capture_on_commit_callbacks
):
    first = set_music(studio, playlist, sounds["wav"], name="first.wav").music.name
    with django_capture_on_commit_callbacks(execute=True):
        playlist = set_music(studio, playlist, sounds["mp3"], name="second.mp3")
    assert playlist.music_name == "second.mp3" and playlist.music.name != first
    assert [path.name for path in stored(playlist)] == ["second.mp3"]


def test_a_refused_replacement_keeps_the_bed_it_had(studio, playlist, sounds):
    first = set_music(studio, playlist, sounds["wav"], name="first.wav").music.name
    refusal(lambda: set_music(studio, playlist, b"<html>", "second.mp3"))
    playlist.refresh_from_db()
    assert (playlist.music.name, playlist.music_name) == (first, "first.wav")
    assert Path(playlist.music.path).read_bytes() == sounds["wav"]


def test_removing_clears_the_bed_and_deletes_its_file(
    studio, playlist, sounds, django_capture_on_commit_callbacks
):
    set_music(studio, playlist, sounds["wav"])
    with django_capture_on_commit_callbacks(execute=True):
        music.playlist_music_remove(user=studio.bob, playlist=playlist)
    playlist.refresh_from_db()
    assert (playlist.music.name, playlist.music_name, playlist.music_seconds) == ("", "", None)
    assert playlist.music_gain == -12  # the level stays for the next bed
    assert stored(playlist) == []
    assert Activity.objects.filter(subject__endswith="removed").count() == 1


def test_a_file_another_playlist_plays_is_kept(
    studio, playlist, sounds, django_capture_on_commit_callbacks
):
    """A deliverable made from this ad plays the same stored file."""
    playlist = set_music(studio, playlist, sounds["wav"])
    make_playlist(
        studio.project, name="Reels", source=playlist, music=playlist.music.name, music_name="x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        music.playlist_music_remove(user=studio.bob, playlist=playlist)
    with django_capture_on_commit_callbacks(execute=True):
        set_music(studio, playlist, sounds["mp3"], name="new.mp3")  # no bed to replace now
    assert sorted(path.name for path in stored(playlist)) == ["Summer_Song.mp3", "new.mp3"]


def test_replacing_a_shared_bed_keeps_the_old_file_for_the_other(
    studio, playlist, sounds, django_capture_on_commit_callbacks
):
    playlist = set_music(studio, playlist, sounds["wav"], name="shared.wav")
    other = make_playlist(studio.project, name="Reels", music=playlist.music.name)
    with django_capture_on_commit_callbacks(execute=True):
        set_music(studio, playlist, sounds["mp3"], name="new.mp3")
    other.refresh_from_db()
    assert Path(other.music.path).read_bytes() == sounds["wav"]


def test_a_duplicate_keeps_the_bed_and_removing_it_from_one_keeps_the_others(
    studio, playlist, sounds, django_capture_on_commit_callbacks
):
    playlist = set_music(studio, playlist, sounds["wav"], name="bed.wav", gain=-18)
    copy = services.playlist_duplicate(user=studio.bob, playlist=playlist)
    assert (copy.music.name, copy.music_name, copy.music_gain) == (
        playlist.music.name,
        "bed.wav",
        -18,
    )
    with django_capture_on_commit_callbacks(execute=True):
        music.playlist_music_remove(user=studio.bob, playlist=playlist)
    copy.refresh_from_db()
    assert Path(copy.music.path).read_bytes() == sounds["wav"]


# -- The export's finishing spec


def test_a_playlist_with_music_gets_a_finishing_spec_with_the_bed(
    tmp_path, studio, playlist, sounds
):
    assert finish_spec(playlist, [], workdir=tmp_path) is None
    playlist = set_music(studio, playlist, sounds["wav"], name="bed.wav", gain=-18)
    spec = finish_spec(Playlist.objects.get(pk=playlist.pk), [], workdir=tmp_path)
    assert spec is not None
    assert spec.finishing.music == MusicBed(Path(playlist.music.path), gain=Decimal(-18))
    assert spec.manifest["music"] == {"name": "bed.wav", "seconds": "1.500", "gain": "-18"}


def test_without_music_the_manifest_says_none(tmp_path, studio, playlist):
    playlist.end_card = True
    spec = finish_spec(playlist, [], workdir=tmp_path)
    assert spec is not None and spec.finishing.music is None
    assert spec.manifest["music"] is None


# -- The page's music section, and the file it plays


def post_music(client, playlist, data: bytes | None, name="Summer Song.mp3", **fields):
    form = dict(fields)
    if data is not None:
        form["music"] = upload(data, name)
    return client.post(reverse("playlist_music", args=[playlist.uuid]), form, **HTMX)


def test_uploading_answers_with_the_section(
    client, studio, playlist, sounds, django_assert_num_queries
):
    client.force_login(studio.bob)
    # user, playlist (+project, team), role, savepoint, lock, update, activity,
    # release savepoint; the section reads nothing more
    with django_assert_num_queries(8):
        response = post_music(client, playlist, sounds["mp3"], music_gain="-18")
    assert response.status_code == 200
    assert "Summer Song.mp3 is the music bed." in response.text
    assert "<strong>Summer Song.mp3</strong>" in response.text and "1.5 s" in response.text
    assert '<option value="-18" selected>' in response.text
    assert (
        'accept="audio/*"' in response.text and 'hx-encoding="multipart/form-data"' in response.text
    )
    assert 'id="preview-music"' in response.text and 'data-volume="0.126"' in response.text
    assert "hx-confirm=" in response.text  # the remove button asks first
    playlist.refresh_from_db()
    assert (playlist.music_name, playlist.music_gain) == ("Summer Song.mp3", -18)


def test_the_level_alone_is_saved(client, studio, playlist, django_assert_num_queries):
    client.force_login(studio.bob)
    with django_assert_num_queries(4):  # user, playlist (+project, team), role, update
        response = post_music(client, playlist, None, music_gain="-6")
    assert "Music level -6 dB saved." in response.text
    assert Playlist.objects.get(pk=playlist.pk).music_gain == -6


def test_a_refused_file_is_named_beside_the_field_and_the_form_left_alone(
    client, studio, playlist, sounds
):
    client.force_login(studio.bob)
    set_music(studio, playlist, sounds["wav"], name="kept.wav")
    response = post_music(client, playlist, b"GIF89a not a song", name="holiday.gif")
    assert response["HX-Retarget"] == "#music-error"
    assert response["HX-Reswap"] == "innerHTML"
    assert "holiday.gif is not an audio file we can play" in response.text
    assert Playlist.objects.get(pk=playlist.pk).music_name == "kept.wav"


def test_too_long_is_explained(client, studio, playlist, sounds):
    client.force_login(studio.bob)
    response = post_music(client, playlist, sounds["long"], name="album.mp3")
    assert "album.mp3 runs 10 min 1 s; a music bed can be at most 10 min." in response.text


def test_a_body_far_over_the_bound_is_refused_before_it_is_read(
    client, studio, playlist, monkeypatch
):
    monkeypatch.setattr(music, "MUSIC_MAX_BYTES", 1024 * 1024)
    client.force_login(studio.bob)
    response = post_music(client, playlist, b"\x00" * 1536 * 1024, name="huge.wav")
    assert response["HX-Retarget"] == "#music-error"
    assert "The chosen file is over 1 MB: a music bed can be at most 1 MB" in response.text
    assert not hasattr(response.wsgi_request, "_files")  # the body was never parsed


def test_nothing_chosen_asks_for_a_file(client, studio, playlist):
    client.force_login(studio.bob)
    response = post_music(client, playlist, None)
    assert "Choose an audio file for the music bed." in response.text


def test_without_javascript_the_page_shows_the_message(client, studio, playlist):
    client.force_login(studio.bob)
    url = reverse("playlist_music", args=[playlist.uuid])
    response = client.post(url, {"music": upload(b"nope", "a.mp3")}, follow=True)
    assert "a.mp3 is not an audio file we can play" in response.text


def test_removing_answers_with_the_empty_section(
    client, studio, playlist, sounds, django_assert_num_queries
):
    set_music(studio, playlist, sounds["wav"])
    client.force_login(studio.bob)
    url = reverse("playlist_music_remove", args=[playlist.uuid])
    # user, playlist (+project, team), role, savepoint, lock, update, activity,
    # release savepoint
    with django_assert_num_queries(8):
        response = client.post(url, **HTMX)
    assert "No music: the ad plays its takes' own sound." in response.text
    assert 'id="preview-music"' not in response.text
    assert not Playlist.objects.get(pk=playlist.pk).music


def test_the_page_shows_the_bed_and_its_player(client, studio, playlist, sounds):
    set_music(studio, playlist, sounds["wav"], name="bed.wav")
    client.force_login(studio.vera)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert "<strong>bed.wav</strong>" in page and "<audio controls" in page
    assert 'id="music-file"' not in page  # a viewer sees no form
    client.force_login(studio.bob)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert 'id="music-file"' in page and "Music level" in page


def test_viewer_may_not_change_the_music(client, studio, playlist, sounds):
    client.force_login(studio.vera)
    assert post_music(client, playlist, sounds["wav"]).status_code == 403
    url = reverse("playlist_music_remove", args=[playlist.uuid])
    assert client.post(url, **HTMX).status_code == 403
    assert not Playlist.objects.get(pk=playlist.pk).music


def test_outsider_gets_404(client, studio, playlist, sounds):
    set_music(studio, playlist, sounds["wav"])
    client.force_login(studio.oscar)
    assert post_music(client, playlist, sounds["wav"]).status_code == 404
    assert client.get(reverse("playlist_music_file", args=[playlist.uuid])).status_code == 404
    url = reverse("playlist_music_remove", args=[playlist.uuid])
    assert client.post(url).status_code == 404
    assert Playlist.objects.get(pk=playlist.pk).music


def test_the_file_is_served_with_range(client, studio, playlist, sounds):
    set_music(studio, playlist, sounds["mp3"], name="bed.mp3")
    client.force_login(studio.vera)
    url = reverse("playlist_music_file", args=[playlist.uuid])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/mpeg"
    assert b"".join(whole.streaming_content) == sounds["mp3"]
    assert whole["X-Content-Type-Options"] == "nosniff" and "private" in whole["Cache-Control"]
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 10-19/{len(sounds['mp3'])}"
    assert b"".join(part.streaming_content) == sounds["mp3"][10:20]


def test_an_odd_ending_is_served_as_bytes(client, studio, playlist, sounds):
    set_music(studio, playlist, sounds["wav"], name="bed.html")
    client.force_login(studio.bob)
    response = client.get(reverse("playlist_music_file", args=[playlist.uuid]))
    assert response["Content-Type"] == "application/octet-stream"


def test_no_music_is_a_404(client, studio, playlist):
    client.force_login(studio.bob)
    assert client.get(reverse("playlist_music_file", args=[playlist.uuid])).status_code == 404


# -- End to end: an export with the bed, on the real engine


def _silent_take(shot, folder: Path):
    """A 2 s take with a silent sound track: whatever is heard in the export is the bed."""
    path = folder / f"silent-{shot.position}.mp4"
    ffmpeg(
        path,
        *("-f", "lavfi", "-i", "color=c=0x2040a0:s=320x180:r=24:d=2"),
        *("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "2"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-shortest"),
    )
    take = make_take(shot, 1, ratio="16:9", length=2)
    take.resolution = "320x180"
    with path.open("rb") as handle:
        take.video.save("take.mp4", File(handle))
    return take


def _loudness_by_half_second(path: str) -> list[float]:
    """The root mean square of each half second of the file's sound (mono, 8 kHz, 16 bits)."""
    samples = array("h")
    with av.open(path) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
        for frame in container.decode(audio=0):
            for mono in resampler.resample(frame):
                samples.frombytes(bytes(mono.planes[0])[: mono.samples * 2])
    window = 4000
    return [
        math.sqrt(sum(s * s for s in samples[i : i + window]) / window)
        for i in range(0, len(samples) - window + 1, window)
    ]


def test_an_export_with_a_music_bed_has_sound_throughout(studio, shots, sounds, tmp_path):
    """Two silent 2 s takes and a 1.5 s tone as the bed: looped to the ad's 4 s, it is heard
    in every half second between its fades."""
    playlist = make_playlist(studio.project, platform="custom")
    takes = [_silent_take(shot, tmp_path) for shot in shots[:2]]
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    set_music(studio, playlist, sounds["wav"], name="tone.wav", gain=-12)
    export = services.export_start(user=studio.bob, playlist=Playlist.objects.get(pk=playlist.pk))
    exports.export_run(export_id=export.pk)
    export.refresh_from_db()

    assert export.status == ExportStatus.DONE, export.error_message
    assert export.manifest["finishing"]["music"] == {
        "name": "tone.wav",
        "seconds": "1.500",
        "gain": "-12",
    }
    levels = _loudness_by_half_second(export.video.path)
    assert len(levels) >= 7, levels  # 4 s, less the sound codec's edges
    # The fade-in's half second and the fade-out's last one apart, about -40 dBFS and up: the
    # bed was heard, and looped past its 1.5 s.
    assert all(level > 300 for level in levels[1:-1]), levels


def test_a_crafted_range_is_never_a_500(client, studio, playlist, sounds):
    set_music(studio, playlist, sounds["wav"])
    client.force_login(studio.bob)
    url = reverse("playlist_music_file", args=[playlist.uuid])
    past = f"bytes={len(sounds['wav'])}-"
    assert client.get(url, headers={"Range": past}).status_code == 416
    assert client.get(url, headers={"Range": "bytes=" + "9" * 5000 + "-"}).status_code == 200

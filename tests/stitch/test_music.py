"""The music bed, heard as a listener would: present in every half second, ducked while a take
speaks but never silenced, looped when short, and the mix normalised like any ad."""

from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import av
import pytest

from studio.stitch import EndCard, ExportError, Finishing, MusicBed, Segment, finish
from studio.stitch.finishing import MUSIC_MAX_SECONDS
from tests.stitch.media import audio_levels, clip, ebur128, ffmpeg, tone_level

FONT = Path(__file__).resolve().parents[2] / "static" / "fonts" / "inter" / "Inter_400Regular.ttf"
SIZE = {"width": 160, "height": 90}
MUSIC_HZ, TAKE_HZ = 220, 1000
# A listener hears a gap where a half second's mean sample falls this low (about -46 dBFS).
FLOOR = 0.005


@dataclass(frozen=True)
class Media:
    silent: Path  # 1 s, no sound at all
    speaking: Path  # 1 s, a tone at TAKE_HZ
    music_1s: Path  # a tone at MUSIC_HZ, shorter than any ad here
    music_5s: Path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    folder = tmp_path_factory.mktemp("music")
    size = (160, 90)
    music = {}
    for seconds in (1, 5):
        music[seconds] = folder / f"music-{seconds}s.m4a"
        ffmpeg(
            *("-f", "lavfi", "-i", f"sine=frequency={MUSIC_HZ}:sample_rate=44100:d={seconds}"),
            *("-af", "volume=-10dB", "-c:a", "aac", str(music[seconds])),
        )
    return Media(
        silent=clip(folder / "silent.mp4", "gray", 1, size=size),
        speaking=clip(folder / "speaking.mp4", "navy", 1, size=size, tone=TAKE_HZ),
        music_1s=music[1],
        music_5s=music[5],
    )


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


CARD = EndCard("Try it today", "", "#FFCC00", "#000000", FONT, length=Decimal(1))
SHORT_FADES = {"fade_in": Decimal("0.25"), "fade_out": Decimal("0.25")}


@pytest.fixture(scope="module")
def bed(media: Media, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Silent take, speaking take, silent take, end card: 4 s under 1 s of music, looped."""
    finishing = Finishing(end_card=CARD, music=MusicBed(media.music_1s, **SHORT_FADES))
    segments = [Segment(media.silent), Segment(media.speaking), Segment(media.silent)]
    dest = tmp_path_factory.mktemp("bed") / "ad.mp4"
    finish(segments, finishing, dest, **SIZE)
    return dest


def sound_duration(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        return float(stream.duration * stream.time_base)


def test_sound_runs_through_silent_takes_speech_and_the_end_card(bed: Path):
    levels = audio_levels(bed, 0.5)
    assert len(levels) == 8
    assert min(levels) > FLOOR, levels
    assert abs(sound_duration(bed) - 4) <= 1 / 24


def test_music_is_ducked_while_a_take_speaks_but_not_silenced(bed: Path):
    alone = tone_level(bed, MUSIC_HZ, 0.5, 0.9)  # under the first, silent take
    under_speech = tone_level(bed, MUSIC_HZ, 1.3, 1.9)
    assert tone_level(bed, TAKE_HZ, 1.3, 1.9) > under_speech  # the take is heard over it
    assert 2 < alone / under_speech < 8  # ducked by 6 to 18 dB
    assert under_speech > FLOOR


def test_short_music_is_looped_to_the_end(bed: Path):
    # 1 s of music under a 4 s ad: the last take and the end card still have it at full level.
    alone = tone_level(bed, MUSIC_HZ, 0.5, 0.9)
    for start in (2.5, 3.0, 3.4):
        assert tone_level(bed, MUSIC_HZ, start, start + 0.3) > alone / 2, start


def test_the_mix_meets_the_loudness_target_and_the_ceiling(bed: Path):
    integrated, peak = ebur128(bed)
    assert abs(integrated - -14) <= 1
    assert peak <= -1


def test_long_music_is_cut_to_the_ad_and_faded_out(media: Media, exports: Path):
    segments = [Segment(media.silent), Segment(media.silent)]
    music = MusicBed(media.music_5s, fade_in=Decimal(0), fade_out=Decimal("0.5"))
    result = finish(segments, Finishing(music=music), exports / "cut.mp4", **SIZE)
    assert abs(sound_duration(result.path) - 2) <= 1 / 24
    levels = audio_levels(result.path, 0.25)
    assert min(levels) > FLOOR, levels
    assert levels[-1] < levels[3] / 2  # the fade-out's last quarter second
    integrated, peak = ebur128(result.path)
    assert abs(integrated - -14) <= 1 and peak <= -1


BAD = [
    ({"gain": Decimal(-40)}, r"^The music's level must be -30 to 0 dB, not -40 dB\.$"),
    ({"gain": Decimal(3)}, r"^The music's level must be -30 to 0 dB, not 3 dB\.$"),
    (
        {"fade_out": Decimal(2)},
        r"^The music's fade-out must last from 0 s to less than the ad \(2\.0 s\), not 2\.0 s\.$",
    ),
    ({"fade_in": Decimal(-1)}, r"^The music's fade-in must last from 0 s"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_music_settings_are_refused_before_anything_is_written(
    media: Media, exports: Path, change: dict, message: str
):
    music = replace(MusicBed(media.music_1s), **change)
    segments = [Segment(media.silent), Segment(media.speaking)]
    with pytest.raises(ExportError, match=message):
        finish(segments, Finishing(music=music), exports / "out.mp4", **SIZE)
    assert list(exports.iterdir()) == []


def test_a_file_that_is_not_sound_is_refused(media: Media, tmp_path: Path, exports: Path):
    notes = tmp_path / "notes.mp3"
    notes.write_text("not a song", encoding="utf-8")
    with pytest.raises(ExportError, match=r"^The music file notes\.mp3 is not sound: choose"):
        finish([Segment(media.silent)], Finishing(music=MusicBed(notes)), exports / "o.mp4", **SIZE)
    assert list(exports.iterdir()) == []


def test_a_video_without_sound_is_not_music(media: Media, exports: Path):
    with pytest.raises(ExportError, match=r"^The music file silent\.mp4 is not sound"):
        finish(
            [Segment(media.silent)],
            Finishing(music=MusicBed(media.silent)),
            exports / "o.mp4",
            **SIZE,
        )
    assert list(exports.iterdir()) == []


def test_music_of_an_hour_is_refused_with_the_limit(media: Media, tmp_path: Path, exports: Path):
    hour = tmp_path / "hour.flac"  # silence compresses to a few hundred kB
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "3600", str(hour))
    message = (
        rf"^The music file hour\.flac lasts 3600\.0 s: music may last at most 10 minutes "
        rf"\({MUSIC_MAX_SECONDS} s\)\.$"
    )
    with pytest.raises(ExportError, match=message):
        finish([Segment(media.silent)], Finishing(music=MusicBed(hour)), exports / "o.mp4", **SIZE)
    assert list(exports.iterdir()) == []


def test_a_missing_music_file_is_named(media: Media, tmp_path: Path, exports: Path):
    gone = MusicBed(tmp_path / "gone.wav")
    with pytest.raises(ExportError, match=r"^The music file gone\.wav is missing\.$"):
        finish([Segment(media.silent)], Finishing(music=gone), exports / "o.mp4", **SIZE)
    assert list(exports.iterdir()) == []

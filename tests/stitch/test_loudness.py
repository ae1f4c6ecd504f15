"""Normalisation: one gain when the ceiling allows it, loudnorm's dynamic mode when it does not,
nothing for silence; and the meter read from ffmpeg's own log."""

from decimal import Decimal
from pathlib import Path

import pytest

from studio.stitch import Finishing, Loudness, Segment, finish, measure_loudness
from studio.stitch.loudness import LoudnessMeasurement, Meter, normalise
from tests.stitch.media import ebur128, ffmpeg


def meter(integrated: str, peak: str) -> Meter:
    return Meter(LoudnessMeasurement(Decimal(integrated), Decimal(peak)), Decimal(-30), Decimal(5))


def test_a_gain_the_ceiling_allows_is_applied_alone():
    assert normalise(Loudness(), meter("-20.5", "-9")) == "volume=6.5dB,aresample=48000"


def test_a_gain_that_would_break_the_ceiling_is_left_to_loudnorm():
    chain = normalise(Loudness(), meter("-20", "-3"))
    assert chain.startswith("loudnorm=I=-14:TP=-1.5:LRA=20:measured_I=-20:measured_TP=-3")
    assert ":measured_LRA=5:measured_thresh=-30:linear=true," in chain


def test_silence_gets_no_gain():
    assert normalise(Loudness(), meter("-70", "-70")) == "aresample=48000"


@pytest.fixture(scope="module")
def peaky(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tone with loud clicks: the one gain to -14 LUFS would lift the clicks over the ceiling."""
    dest = tmp_path_factory.mktemp("peaky") / "peaky.mp4"
    sound = "aevalsrc=0.2*sin(2*PI*440*t)+if(lt(mod(t\\,0.5)\\,0.002)\\,0.9\\,0):s=48000:d=6"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=gray:s=160x90:r=24:d=6", "-f", "lavfi", "-i", sound),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-ac", "2", "-shortest", str(dest)),
    )
    return dest


def test_peaky_sound_is_kept_under_the_ceiling(peaky: Path, tmp_path: Path):
    before = measure_loudness(peaky)
    assert before.true_peak + (-14 - before.integrated) > -1  # one gain would clip
    result = finish([Segment(peaky)], Finishing(), tmp_path / "ad.mp4", width=160, height=90)
    integrated, peak = ebur128(result.path)
    assert peak <= -1
    assert abs(integrated - -14) <= 1

"""The music bed's part of the finishing graph: looped to the ad, faded, ducked under the takes.

The music is cut to the planned length here, so the mix lasts exactly as long as the picture;
it is mixed before the sound is measured, so the ad is normalised with its music in it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from studio.stitch.export import _AUDIO_RATE, _seconds
from studio.stitch.finishing import MusicBed

# Ducking: a compressor on the music keyed by the takes' sound (raised 12 dB, as the lowest
# threshold alone lets quiet takes through). Part of the music bypasses it (mix), so the deepest
# duck is 20*log10(1 - mix) = -15 dB and the bed never falls silent under speech. Measured on a
# tone: a take at -40 dBFS ducks the music by about 8 dB, one at -30 by 12, at -20 by 14.
_DUCK = "threshold=0.001:ratio=20:level_sc=4:attack=20:release=250:mix=0.82"


def music_input(music: MusicBed) -> list[str]:
    """ffmpeg's options for the music: looped for ever, the graph cuts it to the ad's length."""
    return ["-stream_loop", "-1", "-i", str(Path(music.path))]


def mix_music(
    music: MusicBed, index: int, duration: Decimal, programme: str, mixed: str
) -> list[str]:
    """Chains that take input `index` (the music) and the [programme] sound to [mixed]."""
    length = _seconds(duration)
    bed = [
        f"aresample={_AUDIO_RATE}",
        f"aformat=sample_fmts=fltp:sample_rates={_AUDIO_RATE}:channel_layouts=stereo",
        f"atrim=end={length}",
        "asetpts=PTS-STARTPTS",
        f"volume={Decimal(music.gain):f}dB",
    ]
    if music.fade_in:
        bed.append(f"afade=t=in:d={_seconds(Decimal(music.fade_in))}")
    if music.fade_out:
        start = _seconds(duration - Decimal(music.fade_out))
        bed.append(f"afade=t=out:st={start}:d={_seconds(Decimal(music.fade_out))}")
    return [
        f"[{index}:a:0]{','.join(bed)}[bed]",
        f"[{programme}]asplit=2[takes][key]",
        f"[bed][key]sidechaincompress={_DUCK}[ducked]",
        # normalize=0: the bed's gain is the producer's, not amix's split of the headroom.
        f"[takes][ducked]amix=inputs=2:duration=first:normalize=0[{mixed}]",
    ]

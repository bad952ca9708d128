"""Every codec a deliverable can be written in, in one table.

What a codec is (its extension, whether it is lossy, the rates, bit depths and bitrates it
allows, the ffmpeg encoder and muxer, the metadata it carries inside the file, the type a CD
cue sheet gives it) is said here once; profiles validate against it, delivery encodes with
it, metadata embeds by it. Adding a codec is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from audio_pipeline.core import defaults

# Sample rates an encoded file may have (MPEG-1 and MPEG-2 LSF rates LAME and ffmpeg's mp2
# encoder take); a WAV master is always at the working rate.
LOSSY_SAMPLE_RATES = (22_050, 24_000, 32_000, 44_100, 48_000)


class Embedded(StrEnum):
    """The metadata a file carries inside itself."""

    BWF = "bwf"  # Broadcast Wave: bext, cue and LIST/adtl chunks (EBU Tech 3285)
    ID3 = "id3"  # ID3v2.4 with chapters (CHAP/CTOC)
    NONE = "none"  # raw MPEG audio: no container for tags; the sidecars carry the cues


@dataclass(frozen=True)
class Codec:
    name: str
    extension: str
    label: str  # how people name it: WAV, MP3, MP2
    lossy: bool
    sample_rates: tuple[int, ...]
    embedded: Embedded
    cue_sheet_type: str  # FILE type in a CD cue sheet (CDRWIN): WAVE or MP3
    bit_depths: tuple[int, ...] = ()  # PCM
    bitrates_k: tuple[int, ...] = ()  # lossy, CBR
    ffmpeg_codec: str | None = None  # encoder; None: written by our own RIFF writer
    muxer: str | None = None
    # An MPEG audio stream ends on a whole frame: decoded, it may run this much past the end
    frame_samples: int = 0

    def encoder_args(self, sample_rate: int, bitrate_k: int, channels: int = 1) -> list[str]:
        """ffmpeg output arguments that encode the working-rate stream into this codec."""
        if self.ffmpeg_codec is None:
            raise ValueError(f"{self.label} is written without an encoder")
        args: list[str] = []
        if sample_rate != defaults.SAMPLE_RATE:
            args += ["-af", f"aresample={sample_rate}:resampler=soxr"]
        args += ["-ar", str(sample_rate), "-ac", str(channels)]
        args += ["-c:a", self.ffmpeg_codec, "-b:a", f"{bitrate_k}k"]
        if self.name == MP3:
            # no ID3 from ffmpeg (tags are ours to write); keep the Xing/LAME header, which
            # carries encoder delay and padding so decoders restore the exact length
            args += ["-id3v2_version", "0"]
        return args


WAV = "wav"
MP3 = "mp3"
MP2 = "mp2"

CODECS: dict[str, Codec] = {
    c.name: c
    for c in (
        Codec(
            WAV,
            "wav",
            "WAV",
            lossy=False,
            sample_rates=(defaults.SAMPLE_RATE,),
            embedded=Embedded.BWF,
            cue_sheet_type="WAVE",
            bit_depths=(16, 24),
        ),
        Codec(
            MP3,
            "mp3",
            "MP3",
            lossy=True,
            sample_rates=LOSSY_SAMPLE_RATES,
            embedded=Embedded.ID3,
            cue_sheet_type="MP3",
            bitrates_k=(32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
            ffmpeg_codec="libmp3lame",
            muxer="mp3",
            frame_samples=1152,
        ),
        Codec(
            MP2,
            "mp2",
            "MP2",
            lossy=True,
            sample_rates=LOSSY_SAMPLE_RATES,
            embedded=Embedded.NONE,
            # no MP2 type in the cue sheet format; players take MPEG audio as MP3
            cue_sheet_type="MP3",
            bitrates_k=(32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
            ffmpeg_codec="mp2",
            muxer="mp2",
            frame_samples=1152,
        ),
    )
}


def codec_of_file(name: str) -> Codec | None:
    """The codec a file name's extension says, or None for another kind of file."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return next((c for c in CODECS.values() if c.extension == suffix), None)

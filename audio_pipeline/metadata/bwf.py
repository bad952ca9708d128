"""Broadcast Wave chunks as bytes: bext (EBU Tech 3285 v2), cue and LIST/adtl. Pure.

The bext chunk goes into the JUNK reserve our WavWriter leaves before `fmt ` (Tech 3285 puts
bext ahead of the audio so players find it without reading the data); cue and LIST/adtl
chunks follow the data. Every text field is ASCII, as Tech 3285 and the RIFF spec require:
the Korean titles travel in the ID3 tags and the sidecars, never here.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from audio_pipeline.audio.wavfile import chunk
from audio_pipeline.core.results import Loudness
from audio_pipeline.metadata.policy import PublicMetadata

BEXT_VERSION = 2
# Tech 3285 v2 field sizes: Description 256, Originator 32, OriginatorReference 32,
# OriginationDate 10, OriginationTime 8, TimeReference uint64, Version uint16, UMID 64,
# five int16 loudness fields, 180 reserved bytes; CodingHistory follows, variable length.
_BEXT_FIXED = struct.Struct("<256s32s32s10s8sQH64s5h180s")
# Tech 3285 v2: a loudness field that is not used holds 0x7FFF.
LOUDNESS_NOT_SET = 0x7FFF
PROGRAMME_NAME = "audio_pipeline"


def ascii_field(text: str, size: int) -> bytes:
    """A fixed-size ASCII field, NUL-padded (Tech 3285: a shorter string ends with NUL)."""
    data = text.encode("ascii")
    if len(data) > size:
        raise ValueError(f"'{text}' is longer than the {size}-byte field")
    return data.ljust(size, b"\x00")


def ascii_or(text: str | None, limit: int, fallback: str) -> str:
    """`text` when it is printable ASCII that fits the field, else `fallback`."""
    if text and len(text) <= limit and all(" " <= c <= "~" for c in text):
        return text
    return fallback


def centi(value: float | None) -> int:
    """round(100 x value) as Tech 3285 v2 stores loudness; 0x7FFF when there is none."""
    if value is None or not math.isfinite(value):
        return LOUDNESS_NOT_SET
    return max(-0x8000 + 1, min(0x7FFE, round(100 * value)))


def coding_history(sample_rate: int, bits: int, channels: int, tool: str) -> str:
    """One EBU R 98 line: A=PCM,F=48000,W=24,M=mono,T=audio_pipeline 0.1.0 and CR/LF."""
    mode = {1: "mono", 2: "stereo"}.get(channels, "multitrack")
    return f"A=PCM,F={sample_rate},W={bits},M={mode},T={tool}\r\n"


@dataclass(frozen=True)
class Bext:
    description: str = ""
    originator: str = ""
    originator_reference: str = ""
    origination_date: dt.date | None = None
    origination_time: str | None = None  # hh:mm:ss
    time_reference: int = 0  # samples since midnight
    loudness: Loudness | None = None
    coding_history: str = ""


def bext_chunk(bext: Bext) -> bytes:
    """The whole `bext` chunk (id, size, payload, pad), version 2."""
    loud = bext.loudness
    fixed = _BEXT_FIXED.pack(
        ascii_field(bext.description, 256),
        ascii_field(bext.originator, 32),
        ascii_field(bext.originator_reference, 32),
        ascii_field(bext.origination_date.isoformat() if bext.origination_date else "", 10),
        ascii_field(bext.origination_time or "", 8),
        bext.time_reference,
        BEXT_VERSION,
        bytes(64),  # UMID: none (all zero)
        centi(loud.integrated_lufs if loud else None),
        centi(loud.lra_lu if loud else None),
        centi(loud.true_peak_dbtp if loud else None),
        centi(loud.max_momentary_lufs if loud else None),
        centi(loud.max_short_term_lufs if loud else None),
        bytes(180),
    )
    return chunk(b"bext", fixed + bext.coding_history.encode("ascii"))


@dataclass(frozen=True)
class CuePoint:
    ident: int  # dwName: 1, 2, ... (the cue's index)
    start: int  # first sample at the file's own rate
    length: int  # samples
    label: str  # ASCII


def cue_chunk(points: Sequence[CuePoint]) -> bytes:
    """RIFF `cue `: dwCuePoints, then per point dwName, dwPosition, fccChunk 'data',
    dwChunkStart 0, dwBlockStart 0, dwSampleOffset (no playlist, so position = offset)."""
    body = struct.pack("<I", len(points))
    for p in points:
        body += struct.pack("<II4sIII", p.ident, p.start, b"data", 0, 0, p.start)
    return chunk(b"cue ", body)


def adtl_chunk(points: Sequence[CuePoint]) -> bytes:
    """LIST/adtl: per cue a `labl` (dwName + NUL-terminated ASCII) and an `ltxt` (dwName,
    dwSampleLength, purpose 'rgn ', country/language/dialect/codepage 0, no text)."""
    body = b"adtl"
    for p in points:
        body += chunk(b"labl", struct.pack("<I", p.ident) + p.label.encode("ascii") + b"\x00")
        body += chunk(b"ltxt", struct.pack("<II4sHHHH", p.ident, p.length, b"rgn ", 0, 0, 0, 0))
    return chunk(b"LIST", body)


def cue_points(view: PublicMetadata, sample_rate: int) -> list[CuePoint]:
    """One point per cue at the file's own rate; none when cue times are not allowed."""
    if view.timeline is None:
        return []
    timeline = view.timeline.at(sample_rate)
    return [
        CuePoint(cue.index, start, end - start, cue.label)
        for cue, (start, end) in zip(view.cues, timeline.spans, strict=True)
    ]


def wav_chunks(
    view: PublicMetadata,
    *,
    sample_rate: int,
    bits: int,
    channels: int,
    loudness: Loudness | None,
) -> tuple[bytes, list[bytes]]:
    """(bext chunk for the reserve, chunks after the data) for one WAV deliverable.

    Nothing comes from the wall clock or the machine: the date is the episode's, the
    reference its id, so two renders of one episode are byte-identical.
    """
    tool = PROGRAMME_NAME + (f" {view.tool_version}" if view.tool_version else "")
    bext = Bext(
        description=ascii_or(view.title, 256, view.episode_id),
        originator=ascii_or(view.station, 32, PROGRAMME_NAME),
        originator_reference=view.episode_id[:32],
        origination_date=view.date,
        origination_time="00:00:00" if view.date else None,
        time_reference=0,
        loudness=view.loudness(loudness),
        coding_history=coding_history(sample_rate, bits, channels, tool),
    )
    points = cue_points(view, sample_rate)
    trailing = [cue_chunk(points), adtl_chunk(points)] if points else []
    return bext_chunk(bext), trailing

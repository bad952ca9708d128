"""Cue sidecars as text: cues.json (canonical), CD cue sheet, Audacity labels. Pure.

Times are kept in samples; seconds are derived per deliverable rate, so every sidecar is
sample-accurate for the file it describes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .models import Cue, Deliverable, Loudness, Programme, SegmentKind

CD_FRAMES_PER_SECOND = 75


def _num(value: float, digits: int = 2) -> float | None:
    """JSON has no infinity: a silent measurement is reported as null."""
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return round(value, digits)


def loudness_dict(loudness: Loudness | None) -> dict[str, float | None] | None:
    if loudness is None:
        return None
    return {
        "integrated_lufs": _num(loudness.integrated_lufs),
        "true_peak_dbtp": _num(loudness.true_peak_dbtp),
        "lra_lu": _num(loudness.lra_lu),
        "max_momentary_lufs": _num(loudness.max_momentary_lufs),
        "max_short_term_lufs": _num(loudness.max_short_term_lufs),
    }


def seconds(samples: int, rate: int) -> float:
    return round(samples / rate, 6)


def cue_label(cue: Cue) -> str:
    if cue.kind is SegmentKind.MESSAGE and cue.message_id:
        return f"{cue.index:02d} {cue.message_id}"
    return f"{cue.index:02d} {cue.kind.value}"


def cues_document(
    programme: Programme,
    *,
    target_lufs: float,
    ceiling_dbtp: float,
    loudness: Loudness,
    deliverables: Sequence[Deliverable],
    tool_version: str,
) -> dict[str, Any]:
    rate = programme.sample_rate
    by_index = {s.index: s for s in programme.segments}
    cues = []
    for cue in programme.cues:
        seg = by_index[cue.index]
        cues.append(
            {
                "index": cue.index,
                "kind": cue.kind.value,
                "message_id": cue.message_id,
                "title": cue.title,
                "start_s": seconds(cue.start, rate),
                "end_s": seconds(cue.end, rate),
                "start_sample": cue.start,
                "end_sample": cue.end,
                "engine": cue.engine,
                "voice": cue.voice,
                "fallback": cue.fallback,
                "text_sha256": cue.text_sha256,
                "loudness": loudness_dict(seg.loudness),
            }
        )
    return {
        "programme": {
            "episode_id": programme.episode_id,
            "duration_s": seconds(programme.length, rate),
            "duration_samples": programme.length,
            "sample_rate": rate,
            "target_lufs": target_lufs,
            "true_peak_ceiling_dbtp": ceiling_dbtp,
            "integrated_lufs": _num(loudness.integrated_lufs),
            "true_peak_dbtp": _num(loudness.true_peak_dbtp),
            "lra_lu": _num(loudness.lra_lu),
            "tool_version": tool_version,
        },
        "cues": cues,
        "deliverables": [deliverable_dict(programme, d) for d in deliverables],
    }


def deliverable_dict(programme: Programme, d: Deliverable) -> dict[str, Any]:
    """One file: its profile, format, measured loudness, and every cue at its own rate."""
    scale = d.sample_rate / programme.sample_rate
    by_cue = dict(d.cue_loudness)
    return {
        "file": d.path.name,
        "profile": d.profile,
        "format": d.format,
        "description": d.description,
        "sample_rate": d.sample_rate,
        "offset_samples": d.offset_samples,
        "target_lufs": d.target_lufs,
        "true_peak_ceiling_dbtp": d.true_peak_ceiling_dbtp,
        "loudness": loudness_dict(d.loudness),
        "cues": [
            {
                "index": c.index,
                "start_sample": round(c.start * scale) + d.offset_samples,
                "end_sample": round(c.end * scale) + d.offset_samples,
                "integrated_lufs": _num(by_cue[c.index].integrated_lufs)
                if c.index in by_cue
                else None,
            }
            for c in programme.cues
        ],
    }


def cues_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _cd_time(samples: int, rate: int) -> str:
    """mm:ss:ff at 75 frames a second, rounded down: an index never points after its audio."""
    frames = samples * CD_FRAMES_PER_SECOND // rate
    minutes, rest = divmod(frames, 60 * CD_FRAMES_PER_SECOND)
    secs, ff = divmod(rest, CD_FRAMES_PER_SECOND)
    return f"{minutes:02d}:{secs:02d}:{ff:02d}"


def _quoted(text: str) -> str:
    # cue sheets have no escape for '"'; a typographic quote keeps the line parseable
    return '"' + text.replace('"', "”").replace("\n", " ") + '"'


def cue_sheet(
    programme: Programme, audio_file: str, *, performer: str | None, rate: int | None = None
) -> str:
    rate = rate or programme.sample_rate
    scale = rate / programme.sample_rate
    file_type = "WAVE" if audio_file.lower().endswith(".wav") else "MP3"
    lines = []
    if performer:
        lines.append(f"PERFORMER {_quoted(performer)}")
    lines.append(f"TITLE {_quoted(programme.title)}")
    lines.append(f"FILE {_quoted(audio_file)} {file_type}")
    for n, cue in enumerate(programme.cues, start=1):
        lines.append(f"  TRACK {n:02d} AUDIO")
        title = cue.title or cue.message_id or cue.kind.value
        lines.append(f"    TITLE {_quoted(title)}")
        if performer:
            lines.append(f"    PERFORMER {_quoted(performer)}")
        lines.append(f"    INDEX 01 {_cd_time(round(cue.start * scale), rate)}")
    return "\n".join(lines) + "\n"


def audacity_labels(programme: Programme, rate: int | None = None) -> str:
    """Audacity label track: start TAB end TAB label, seconds with six decimals."""
    rate = rate or programme.sample_rate
    scale = rate / programme.sample_rate
    rows = []
    for cue in programme.cues:
        start = round(cue.start * scale) / rate
        end = round(cue.end * scale) / rate
        rows.append(f"{start:.6f}\t{end:.6f}\t{cue_label(cue)}")
    return "\n".join(rows) + "\n"

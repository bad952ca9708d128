"""Cue sidecars as text: cues.json (canonical), CD cue sheet, Audacity labels. Pure.

Every builder takes a PublicMetadata (the episode as the metadata policy lets it out, see
metadata_policy.py), never the episode or its messages. Times are kept in samples; each
file's times are derived from its own sample rate, so every sidecar is sample-accurate for
the file it describes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from audio_pipeline.core.codecs import codec_of_file
from audio_pipeline.core.results import Deliverable, Loudness
from audio_pipeline.metadata.policy import PublicCue, PublicMetadata, Timeline, rescale

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


def cue_label(cue: PublicCue) -> str:
    """`NN label`, ASCII: the message id where the policy allows it, else the cue's kind."""
    return f"{cue.index:02d} {cue.label}"


def _times(start: int | None, end: int | None, rate: int) -> dict[str, Any]:
    return {
        "start_s": seconds(start, rate) if start is not None else None,
        "end_s": seconds(end, rate) if end is not None else None,
        "start_sample": start,
        "end_sample": end,
    }


def _cue_entry(cue: PublicCue, span: tuple[int, int] | None, rate: int) -> dict[str, Any]:
    """Every key is always present (a stable schema for partners); what the policy holds
    back, or what a cue does not have, is null."""
    start, end = span if span is not None else (None, None)
    return {
        "index": cue.index,
        "kind": cue.kind,
        "message_id": cue.message_id,
        "title": cue.title,
        "attribution": cue.attribution,
        **_times(start, end, rate),
        "engine": cue.engine,
        "voice": cue.voice,
        "fallback": cue.fallback,
        "text_sha256": cue.text_sha256,
        "loudness": loudness_dict(cue.loudness),
    }


def cues_document(
    view: PublicMetadata,
    *,
    loudness: Loudness,
    deliverables: Sequence[Deliverable],
    sidecar_files: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The canonical cue list. Per deliverable, the cue times again in samples at that
    file's own rate, and the names of the sidecars describing it."""
    rate = view.sample_rate
    spans: Sequence[tuple[int, int] | None] = (
        view.timeline.spans if view.timeline else [None] * len(view.cues)
    )
    measured = view.loudness(loudness)
    programme: dict[str, Any] = {
        "episode_id": view.episode_id,
        "title": view.title,
        "date": view.date.isoformat() if view.date else None,
        "station": view.station,
        "duration_s": seconds(view.length, rate),
        "duration_samples": view.length,
        "sample_rate": rate,
        "target_lufs": view.target_lufs,
        "true_peak_ceiling_dbtp": view.ceiling_dbtp,
        "integrated_lufs": _num(measured.integrated_lufs) if measured else None,
        "true_peak_dbtp": _num(measured.true_peak_dbtp) if measured else None,
        "lra_lu": _num(measured.lra_lu) if measured else None,
        "tool_version": view.tool_version,
    }
    files = []
    for d in deliverables:
        at = view.timeline.at(d.sample_rate, d.offset_samples) if view.timeline else None
        cue_loudness = dict(d.cue_loudness) if view.loudness_allowed else {}
        files.append(
            {
                "file": d.path.name,
                "profile": d.profile,
                "format": d.format,
                "description": d.description,
                "sample_rate": d.sample_rate,
                # where the programme starts in the file (a codec's delay, e.g. raw MP2)
                "offset_samples": d.offset_samples,
                "duration_samples": rescale(view.length, rate, d.sample_rate),
                "target_lufs": d.target_lufs if view.loudness_allowed else None,
                "true_peak_ceiling_dbtp": d.true_peak_ceiling_dbtp
                if view.loudness_allowed
                else None,
                "loudness": loudness_dict(view.loudness(d.loudness)),
                "sidecars": dict((sidecar_files or {}).get(d.path.name, {})),
                "cues": [
                    {
                        "index": cue.index,
                        **_times(s, e, d.sample_rate),
                        "integrated_lufs": _num(cue_loudness[cue.index].integrated_lufs)
                        if cue.index in cue_loudness
                        else None,
                    }
                    for cue, (s, e) in zip(view.cues, at.spans, strict=True)
                ]
                if at is not None
                else None,
            }
        )
    return {
        "programme": programme,
        "cues": [_cue_entry(cue, span, rate) for cue, span in zip(view.cues, spans, strict=True)],
        "deliverables": files,
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


def _timeline(view: PublicMetadata, rate: int, offset: int = 0) -> Timeline:
    if view.timeline is None:
        raise ValueError("cue times are not allowed by the metadata policy")
    return view.timeline.at(rate, offset)


def cue_sheet(view: PublicMetadata, audio_file: str, rate: int, offset: int = 0) -> str:
    """CD cue sheet for one file at its own rate (INDEX 01 at 75 frames a second); `offset`
    is where the programme starts in that file (a codec's delay)."""
    timeline = _timeline(view, rate, offset)
    codec = codec_of_file(audio_file)
    file_type = codec.cue_sheet_type if codec is not None else "MP3"
    lines = []
    if view.station:
        lines.append(f"PERFORMER {_quoted(view.station)}")
    lines.append(f"TITLE {_quoted(view.title or view.episode_id)}")
    lines.append(f"FILE {_quoted(audio_file)} {file_type}")
    for n, (cue, (start, _)) in enumerate(zip(view.cues, timeline.spans, strict=True), start=1):
        lines.append(f"  TRACK {n:02d} AUDIO")
        lines.append(f"    TITLE {_quoted(cue.display_title)}")
        if view.station:
            lines.append(f"    PERFORMER {_quoted(view.station)}")
        lines.append(f"    INDEX 01 {_cd_time(start, rate)}")
    return "\n".join(lines) + "\n"


def audacity_labels(view: PublicMetadata, rate: int, offset: int = 0) -> str:
    """Audacity label track: start TAB end TAB label, seconds with six decimals."""
    timeline = _timeline(view, rate, offset)
    rows = []
    for cue, (start, end) in zip(view.cues, timeline.spans, strict=True):
        rows.append(f"{start / rate:.6f}\t{end / rate:.6f}\t{cue_label(cue)}")
    return "\n".join(rows) + "\n"

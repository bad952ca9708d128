"""Stage: the sidecar files, for every deliverable and for the episode.

Per episode: `cues.json` (canonical) and `broadcast-log.csv` (what the ministry reports to
supporters). Per deliverable file, with times from that file's own sample rate: a CD cue
sheet, Audacity labels and Podcasting 2.0 chapters. The primary deliverable (the first WAV)
keeps the first version's names `<episode-id>.cue` and `<episode-id>.labels.txt` (and
`<episode-id>.chapters.json`); every other file's sidecars are named after the file itself,
e.g. `2026-w47.mp3.cue`, `2026-w47.mp3.labels.txt`, `2026-w47.mp3.chapters.json`.

Everything here is built from the sidecars PublicMetadata: only what the policy allows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from audio_pipeline.core.results import Deliverable, Loudness
from audio_pipeline.inputs.policy import SIDECARS
from audio_pipeline.metadata import cues
from audio_pipeline.metadata.policy import PublicMetadata, rescale

CUES_JSON = "cues.json"
BROADCAST_LOG = "broadcast-log.csv"
CHAPTERS_VERSION = "1.2.0"  # Podcasting 2.0 JSON chapters
LOG_COLUMNS = ("episode_id", "date", "message_id", "title", "start", "end", "duration")


def chapters_json(view: PublicMetadata, rate: int, offset: int = 0) -> str:
    """Podcasting 2.0 chapters (version 1.2.0): startTime, title, endTime in seconds,
    from whole samples at the file's own rate (six decimals: the sample is recoverable)."""
    if view.timeline is None:
        raise ValueError("cue times are not allowed by the metadata policy")
    timeline = view.timeline.at(rate, offset)
    chapters = [
        {
            "startTime": cues.seconds(start, rate),
            "title": cue.display_title,
            "endTime": cues.seconds(end, rate),
        }
        for cue, (start, end) in zip(view.cues, timeline.spans, strict=True)
    ]
    document = {"version": CHAPTERS_VERSION, "chapters": chapters}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def clock(ms: int) -> str:
    """HH:MM:SS.mmm."""
    seconds, millis = divmod(ms, 1000)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def broadcast_log_csv(view: PublicMetadata) -> str:
    """One row per message and per filler item, in broadcast order: where it sits in the
    programme. Times are from the programme's start; the columns the policy holds back are
    left empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LOG_COLUMNS)
    rate = view.sample_rate
    spans = view.timeline.spans if view.timeline else [None] * len(view.cues)
    for cue, span in zip(view.cues, spans, strict=True):
        if cue.kind not in ("message", "filler"):
            continue
        times = ["", "", ""]
        if span is not None:
            # nearest millisecond; the duration is end - start as printed, so the columns add up
            start, end = (rescale(t, rate, 1000) for t in span)
            times = [clock(start), clock(end), clock(end - start)]
        date = view.date.isoformat() if view.date else ""
        writer.writerow([view.episode_id, date, cue.message_id or "", cue.title or "", *times])
    return out.getvalue()


def primary(deliverables: Sequence[Deliverable]) -> Deliverable | None:
    """The first lossless file (the broadcast master), else the first file."""
    candidates = [d for d in deliverables if not d.codec.lossy] or list(deliverables)
    return candidates[0] if candidates else None


def sidecar_names(
    deliverables: Sequence[Deliverable], episode_id: str
) -> dict[str, dict[str, str]]:
    """File name of each deliverable -> its sidecars' names (see the module docstring)."""
    main = primary(deliverables)
    names: dict[str, dict[str, str]] = {}
    for d in deliverables:
        stem = episode_id if d is main else d.path.name
        names[d.path.name] = {
            "cue_sheet": f"{stem}.cue",
            "labels": f"{stem}.labels.txt",
            "chapters": f"{stem}.chapters.json",
        }
    return names


def write_sidecars(
    folder: Path,
    view: PublicMetadata,
    deliverables: Sequence[Deliverable],
    loudness: Loudness,
    *,
    extra: Mapping[str, object] | None = None,
) -> list[Path]:
    """Write every sidecar into `folder` (the render's staging folder). Returns the paths."""
    if view.scope != SIDECARS:
        raise ValueError("sidecars must come from the policy's 'sidecars' scope")
    written: list[Path] = []

    def put(name: str, text: str, encoding: str = "utf-8") -> None:
        path = folder / name
        path.write_text(text, encoding, newline="")
        written.append(path)

    names = sidecar_names(deliverables, view.episode_id) if view.timeline else {}
    for d in deliverables:
        if d.path.name not in names:
            continue
        files = names[d.path.name]
        offset = d.offset_samples
        put(files["cue_sheet"], cues.cue_sheet(view, d.path.name, d.sample_rate, offset))
        put(files["labels"], cues.audacity_labels(view, d.sample_rate, offset))
        put(files["chapters"], chapters_json(view, d.sample_rate, offset))
    document = cues.cues_document(
        view, loudness=loudness, deliverables=deliverables, sidecar_files=names
    )
    document.update(extra or {})
    put(CUES_JSON, cues.cues_json(document))
    # with a byte-order mark, so spreadsheet programs show the Korean titles
    put(BROADCAST_LOG, broadcast_log_csv(view), "utf-8-sig")
    return written

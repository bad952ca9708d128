"""The summary of a render as rows of text: the table the CLI prints after `render` and the
studio shows after a render, made once here so both say the same."""

from __future__ import annotations

from dataclasses import dataclass

from audio_pipeline.app.onair import score_lines
from audio_pipeline.core.display import clock, level, loudness_line
from audio_pipeline.core.results import FillReport, RunReport, SegmentKind

COLUMNS = ("#", "segment", "voice", "clip", "start", "length", "LUFS", "LRA", "dBTP")
RIGHT = frozenset({"#", "start", "length", "LUFS", "LRA", "dBTP"})  # numbers align right


@dataclass(frozen=True)
class Summary:
    title: str
    rows: tuple[tuple[str, ...], ...]  # one per segment, in COLUMNS order
    lines: tuple[str, ...]  # the programme, the clips, fallbacks, usage, each deliverable


def fill_line(fill: FillReport, rate: int) -> str:
    """How a fit: exact slot was filled, in one line for the producer."""
    if not fill.under:
        return "filled exactly by the messages"
    parts = [f"{clock(fill.under / rate)} short before filling"]
    if fill.fillers:
        parts.append(f"fillers: {', '.join(fill.fillers)}")
    if fill.gaps:
        parts.append(f"gaps +{fill.gaps / rate:.1f} s in all")
    parts.append(f"{fill.silence / rate:.1f} s of bed or silence before the outro")
    parts.append(f"longest without programme audio {fill.longest_gap / rate:.1f} s")
    return "; ".join(parts)


def summarize(report: RunReport) -> Summary:
    programme = report.programme
    rate = programme.sample_rate
    rows = []
    for seg in programme.segments:
        filler = seg.kind is SegmentKind.FILLER
        if seg.message_id:
            label, voice = seg.message_id, seg.voice or ""
            source = ("filler " if filler else "") + ("cached" if seg.cached else "new")
            if seg.fallback:
                source += " FALLBACK"
        elif filler:
            label, voice, source = seg.title or "filler", "", "filler"
        else:
            label, voice, source = seg.kind.value, "", "bumper"
        rows.append(
            (
                str(seg.index),
                label,
                voice,
                source,
                clock(seg.start / rate),
                clock(seg.length / rate),
                level(seg.loudness.integrated_lufs),
                f"{seg.loudness.lra_lu:.1f}",
                level(seg.loudness.true_peak_dbtp),
            )
        )
    lines = [
        f"programme: {clock(programme.duration_s)}, {loudness_line(report.programme_loudness)}",
        *([f"slot: {fill_line(programme.fill, rate)}"] if programme.fill is not None else []),
        f"clips: {report.clips_total} ({report.clips_synthesized} synthesized, "
        f"{report.clips_cached} cached); fallbacks: {len(report.fallbacks)}",
    ]
    lines += [f"  {note}" for note in report.fallbacks]
    lines += [f"usage {use.month}: {use.engine}: {use.describe()}" for use in report.usage]
    lines += score_lines(report.on_air)
    for d in report.deliverables:
        assert d.loudness is not None
        lines.append(f"  {d.path.name} ({d.profile}: {d.description}): {loudness_line(d.loudness)}")
    return Summary(f"{programme.episode_id}: {programme.title}", tuple(rows), tuple(lines))

"""The reviewer's page: `review.html`, one self-contained file beside the audio it describes.

Inline CSS and JavaScript, waveforms as inline SVG drawn from the audio with numpy, audio
players that name the folder's own files by relative path (`clips/<id>.wav`, the programme
WAV): the folder works from a file:// URL and from a USB stick, with no network at all (a
Content-Security-Policy forbids every fetch but the folder's own media).

Per clip: the approved text, the script exactly as sent to the engine, engine/voice/fallback,
duration, loudness, the listener-check warnings and a waveform. For an episode, the whole
programme with its cue list; clicking a cue seeks the programme player.

Metadata safety: the page is an output file. It is built only from the fields named here (id,
title, status, text, spoken script, voice facts, measurements) and never from a message's
notes, approver or attribution, nor from any path of this machine. Everything is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_pipeline import __version__
from audio_pipeline.audio import wavfile
from audio_pipeline.audio.loudness import measure
from audio_pipeline.audio.waveform import AudioFacts, peaks, peaks_of_audio
from audio_pipeline.core.display import clock, level
from audio_pipeline.core.models import Episode, Loudness, Message, Programme, SegmentKind
from audio_pipeline.text.checks import TextWarning
from audio_pipeline.text.lexicon import EMPTY, Lexicon
from audio_pipeline.text.normalize import review_warnings

REVIEW_FILE = "review.html"
WAVE_HEIGHT = 56
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; media-src 'self' file:"
)


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


# --- waveforms (pure) -------------------------------------------------------------------------


def waveform_svg(
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    height: int = WAVE_HEIGHT,
    markers: Sequence[float] = (),
    label: str = "waveform",
) -> str:
    """An inline SVG of min/max peaks: one filled outline, optional cue markers (0..1)."""
    columns = len(hi)
    mid = height / 2
    scale = mid - 1

    def y(v: float) -> str:
        return f"{mid - max(-1.0, min(1.0, v)) * scale:.1f}"

    top = " ".join(f"{i},{y(float(v))}" for i, v in enumerate(hi))
    bottom = " ".join(f"{i},{y(float(v))}" for i, v in reversed(list(enumerate(lo))))
    lines = "".join(
        f'<line x1="{m * columns:.1f}" x2="{m * columns:.1f}" y1="0" y2="{height}" class="marker"/>'
        for m in markers
    )
    return (
        f'<svg class="wave" viewBox="0 0 {columns} {height}" preserveAspectRatio="none" '
        f'role="img" aria-label="{esc(label)}">'
        f'<line x1="0" x2="{columns}" y1="{mid}" y2="{mid}" class="axis"/>'
        f'<polygon points="{top} {bottom}" class="peaks"/>{lines}</svg>'
    )


# --- what the page shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewClip:
    message_id: str
    title: str | None
    status: str  # approved | pending
    approved_text: str
    spoken_text: str
    engine: str
    voice: str
    requested_voice: str
    fallback: bool
    duration_s: float
    loudness: Loudness
    warnings: tuple[TextWarning, ...]
    audio_href: str  # relative to the page
    waveform: str  # inline SVG


@dataclass(frozen=True)
class ReviewCue:
    index: int
    kind: str
    label: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class ReviewProgramme:
    audio_href: str
    duration_s: float
    loudness: Loudness
    cues: tuple[ReviewCue, ...]
    waveform: str
    downloads: tuple[str, ...] = ()  # other deliverables, relative names


def review_clip(
    folder: Path,
    href: str,
    *,
    message_id: str,
    title: str | None,
    status: str,
    approved_text: str,
    spoken_text: str,
    engine: str,
    voice: str,
    requested_voice: str,
    fallback: bool,
    facts: AudioFacts | None = None,
    lexicon: Lexicon = EMPTY,
) -> ReviewClip:
    """A clip entry measured from the audio file the page plays (what the reviewer hears):
    `facts` when they were taken while the file was written, else read from the file."""
    if facts is None:
        samples, rate = wavfile.read(folder / href)
        lo, hi = peaks(samples)
        facts = AudioFacts(len(samples), rate, measure(samples, rate), lo, hi)
    return ReviewClip(
        message_id=message_id,
        title=title,
        status=status,
        approved_text=approved_text,
        spoken_text=spoken_text,
        engine=engine,
        voice=voice,
        requested_voice=requested_voice,
        fallback=fallback,
        duration_s=facts.frames / facts.sample_rate,
        loudness=facts.loudness,
        # what preview and validate show too: listener checks and what the script does
        warnings=tuple(review_warnings(approved_text, lexicon)),
        audio_href=href,
        waveform=waveform_svg(facts.lo, facts.hi, label=f"waveform of {message_id}"),
    )


# --- the page ------------------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6474; --line: #d7dce4;
  --warn: #8a4b00; --warn-bg: #fff4e0; --danger: #8b1a1a; --danger-bg: #fde8e8; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem 3rem; color: var(--ink);
  font: 16px/1.55 "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "Apple SD Gothic Neo",
  system-ui, sans-serif; }
h1 { font-size: 1.5rem; margin: .5rem 0 0; } h2 { margin-top: 2rem; font-size: 1.2rem; }
h3 { margin: 0; font-size: 1.1rem; }
.meta, .facts { color: var(--muted); font-size: .9rem; }
section.clip, section.programme { border: 1px solid var(--line); border-radius: 8px;
  padding: .9rem 1rem; margin: 1rem 0; }
audio { width: 100%; margin: .5rem 0 .25rem; }
svg.wave { width: 100%; height: 56px; display: block; background: #f6f8fb; border-radius: 4px; }
svg.wave .peaks { fill: #3a6ea5; } svg.wave .axis { stroke: #c9d1dc; stroke-width: .5; }
svg.wave .marker { stroke: #b3541e; stroke-width: 1; vector-effect: non-scaling-stroke; }
#programme-wave { cursor: pointer; }
.facts { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: .5rem 0; }
.facts b { color: var(--ink); font-weight: 600; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .8rem;
  font-weight: 600; margin-left: .5rem; vertical-align: middle; }
.badge.fallback, .badge.pending { background: var(--warn-bg); color: var(--warn); }
.badge.identifying { background: var(--danger-bg); color: var(--danger); }
.texts { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media (max-width: 44rem) { .texts { grid-template-columns: 1fr; } }
.texts h4 { margin: .5rem 0 .25rem; font-size: .9rem; color: var(--muted); }
.approved { white-space: pre-wrap; margin: 0; }
ol.script { margin: 0; padding-left: 1.5rem; }
ul.warnings { margin: .5rem 0 0; padding-left: 1.25rem; }
ul.warnings li.identifying { color: var(--danger); }
ul.warnings li.vocabulary { color: var(--warn); }
.none { color: var(--muted); font-style: italic; }
table.cues { border-collapse: collapse; width: 100%; margin-top: .5rem; }
table.cues td, table.cues th { text-align: left; padding: .2rem .5rem;
  border-bottom: 1px solid var(--line); }
table.cues td.time { font-variant-numeric: tabular-nums; white-space: nowrap; }
button.cue { font: inherit; background: none; border: 0; padding: 0; color: #1f5fa8;
  text-decoration: underline; cursor: pointer; text-align: left; }
tr.playing { background: #eef4fb; }
"""

SCRIPT = """
(function () {
  var player = document.getElementById("programme-player");
  if (!player) { return; }
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button.cue"));
  function seek(seconds) {
    player.currentTime = seconds;
    var started = player.play();
    if (started && started.catch) { started.catch(function () {}); }
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      seek(parseFloat(button.getAttribute("data-start")));
    });
  });
  var wave = document.getElementById("programme-wave");
  if (wave) {
    wave.addEventListener("click", function (event) {
      var box = wave.getBoundingClientRect();
      var total = parseFloat(wave.getAttribute("data-duration"));
      seek(Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)) * total);
    });
  }
  player.addEventListener("timeupdate", function () {
    var now = player.currentTime;
    buttons.forEach(function (button) {
      var start = parseFloat(button.getAttribute("data-start"));
      var end = parseFloat(button.getAttribute("data-end"));
      button.closest("tr").classList.toggle("playing", now >= start && now < end);
    });
  });
})();
"""


def _loudness(loudness: Loudness) -> str:
    return (
        f"{level(loudness.integrated_lufs)} LUFS, "
        f"true peak {level(loudness.true_peak_dbtp)} dBTP, LRA {loudness.lra_lu:.1f} LU"
    )


def _warnings(warnings: Sequence[TextWarning]) -> str:
    if not warnings:
        return '<p class="none">No listener-check warnings.</p>'
    items = []
    for w in warnings:
        hint = f" Suggestion: {esc(w.suggestion)}." if w.suggestion else ""
        items.append(
            f'<li class="{esc(w.kind)}"><b>{esc(w.kind)}</b> ({esc(w.rule)}): '
            f"“{esc(w.excerpt)}”: {esc(w.message)}.{hint}</li>"
        )
    return f'<ul class="warnings">{"".join(items)}</ul>'


def _clip_section(clip: ReviewClip) -> str:
    badges = ""
    if clip.status != "approved":
        badges += f'<span class="badge pending">{esc(clip.status.upper())}: not approved</span>'
    if clip.fallback:
        badges += '<span class="badge fallback">FALLBACK voice</span>'
    if any(w.kind == "identifying" for w in clip.warnings):
        badges += '<span class="badge identifying">possible identifying detail</span>'
    voice = esc(clip.voice)
    if clip.fallback:
        voice += f" (fallback: {esc(clip.requested_voice)} failed)"
    script = "".join(f"<li>{esc(line)}</li>" for line in clip.spoken_text.splitlines())
    title = f" {esc(clip.title)}" if clip.title else ""
    return f"""
<section class="clip" id="clip-{esc(clip.message_id)}" data-message-id="{esc(clip.message_id)}">
<h3><code>{esc(clip.message_id)}</code>{title}{badges}</h3>
<audio controls preload="metadata" src="{esc(clip.audio_href)}"></audio>
{clip.waveform}
<div class="facts">
<span>engine <b>{esc(clip.engine)}</b></span><span>voice <b>{voice}</b></span>
<span>fallback <b>{"yes" if clip.fallback else "no"}</b></span>
<span>duration <b>{esc(clock(clip.duration_s))}</b></span>
<span>loudness <b>{esc(_loudness(clip.loudness))}</b></span>
</div>
<div class="texts">
<div><h4>Approved text</h4><p class="approved" lang="ko">{esc(clip.approved_text)}</p></div>
<div><h4>Script sent to the engine (one request per line)</h4>
<ol class="script" lang="ko">{script}</ol></div>
</div>
<h4>Listener checks</h4>
{_warnings(clip.warnings)}
</section>"""


def _programme_section(programme: ReviewProgramme) -> str:
    rows = []
    for cue in programme.cues:
        rows.append(
            f'<tr data-kind="{esc(cue.kind)}"><td>{cue.index}</td><td>{esc(cue.kind)}</td>'
            f'<td><button type="button" class="cue" data-start="{cue.start_s:.6f}" '
            f'data-end="{cue.end_s:.6f}">{esc(cue.label)}</button></td>'
            f'<td class="time">{esc(clock(cue.start_s))}</td>'
            f'<td class="time">{esc(clock(cue.end_s - cue.start_s))}</td></tr>'
        )
    downloads = " ".join(
        f'<a href="{esc(name)}" download>{esc(name)}</a>' for name in programme.downloads
    )
    wave = programme.waveform.replace(
        "<svg ", f'<svg id="programme-wave" data-duration="{programme.duration_s:.6f}" ', 1
    )
    return f"""
<section class="programme">
<h2>Programme</h2>
<audio id="programme-player" controls preload="metadata" src="{esc(programme.audio_href)}">
</audio>
{wave}
<div class="facts"><span>duration <b>{esc(clock(programme.duration_s))}</b></span>
<span>loudness <b>{esc(_loudness(programme.loudness))}</b></span>
<span>files {downloads}</span></div>
<table class="cues"><thead><tr><th>#</th><th>kind</th><th>cue (click to play from here)</th>
<th>start</th><th>length</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
</section>"""


def review_html(
    heading: str,
    subheading: str,
    clips: Sequence[ReviewClip],
    programme: ReviewProgramme | None = None,
) -> str:
    sections = _programme_section(programme) if programme else ""
    clip_sections = "".join(_clip_section(c) for c in clips)
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(heading)}</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>{esc(heading)}</h1>
<p class="meta">{esc(subheading)} · audio-pipeline {esc(__version__)}</p></header>
{sections}
<h2>Clips ({len(clips)})</h2>
{clip_sections}
<script>{SCRIPT}</script>
</body>
</html>
"""


def episode_page(
    folder: Path,
    programme: Programme,
    loudness: Loudness,
    episode: Episode,
    messages: Mapping[str, Message],
    audio_file: str,
    downloads: Sequence[str],
    *,
    clip_facts: Mapping[str, AudioFacts] | None = None,
    waveform: tuple[np.ndarray, np.ndarray] | None = None,
    lexicons: Mapping[str, Lexicon] | None = None,
) -> str:
    """The page of a rendered episode, from the files in its (staging) folder, or from what
    was measured and drawn while they were written: `clip_facts` by message id (the files
    `clips/<id>.wav`), `waveform` of `audio_file`."""
    clip_facts = clip_facts or {}
    by_id = messages
    rate = programme.sample_rate
    clips = []
    for seg in programme.segments:
        if seg.kind is not SegmentKind.MESSAGE or not seg.message_id:
            continue
        message = by_id[seg.message_id]
        clips.append(
            review_clip(
                folder,
                f"clips/{seg.message_id}.wav",
                message_id=seg.message_id,
                title=message.title,
                status=message.status.value,
                approved_text=message.text,
                spoken_text=seg.spoken_text or "",
                engine=seg.engine or "",
                voice=seg.voice or "",
                requested_voice=episode.voice,
                fallback=seg.fallback,
                facts=clip_facts.get(seg.message_id),
                lexicon=(lexicons or {}).get(seg.voice or "", EMPTY),
            )
        )
    cues = tuple(
        ReviewCue(
            index=cue.index,
            kind=cue.kind.value,
            label=(f"{cue.message_id}: {cue.title}" if cue.title else cue.message_id)
            if cue.message_id
            else cue.kind.value,
            start_s=cue.start / rate,
            end_s=cue.end / rate,
        )
        for cue in programme.cues
    )
    lo, hi = waveform if waveform is not None else peaks_of_audio(folder / audio_file)
    review = ReviewProgramme(
        audio_href=audio_file,
        duration_s=programme.duration_s,
        loudness=loudness,
        cues=cues,
        waveform=waveform_svg(
            lo,
            hi,
            markers=[c.start / programme.length for c in programme.cues],
            label="waveform of the programme",
        ),
        downloads=tuple(downloads),
    )
    subheading = f"episode {episode.id}, {episode.date.isoformat()}"
    return review_html(episode.title, subheading, clips, review)


def write_review(folder: Path, page: str) -> Path:
    path = folder / REVIEW_FILE
    path.write_text(page, "utf-8")
    return path

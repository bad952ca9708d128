"""The reviewer's page: `review.html`, one self-contained file beside the audio it describes.

Rendered from Jinja2 templates (publish/templates/review/) with autoescaping on: every value
from a message file is escaped by default, not by a call per field. Its CSS and JavaScript
are package data (publish/static/), written inline so the folder works from a file:// URL
and from a USB stick with no network at all; a Content-Security-Policy allows exactly that
style and that script (by their SHA-256) and the folder's own media, and nothing else.

Per clip: the approved text, the script exactly as sent to the engine, engine/voice/fallback,
duration, loudness, the listener-check warnings and a waveform. For an episode, the whole
programme with its cue list; clicking a cue seeks the programme player.

Metadata safety: the page is an output file. It is built only from the fields named here (id,
title, status, text, spoken script, voice facts, measurements) and never from a message's
notes, approver or attribution, nor from any path of this machine.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jinja2
import numpy as np
from markupsafe import Markup

from audio_pipeline import __version__
from audio_pipeline.audio import wavfile
from audio_pipeline.audio.loudness import measure
from audio_pipeline.audio.waveform import AudioFacts, peaks, peaks_of_audio
from audio_pipeline.core.display import clock, level
from audio_pipeline.core.models import Episode, Message
from audio_pipeline.core.results import Loudness, Programme, SegmentKind
from audio_pipeline.inputs.safety import ReviewFinding, ReviewState
from audio_pipeline.text.checks import TextWarning
from audio_pipeline.text.lexicon import EMPTY, Lexicon
from audio_pipeline.text.normalize import review_warnings

REVIEW_FILE = "review.html"
WAVE_HEIGHT = 56


# --- waveforms (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveShape:
    """What the template draws of a waveform: numbers only."""

    columns: int
    height: int
    points: str  # the min/max outline as SVG polygon points
    markers: tuple[str, ...] = ()  # x of each cue marker
    label: str = "waveform"

    @property
    def mid(self) -> float:
        return self.height / 2


def wave_shape(
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    height: int = WAVE_HEIGHT,
    markers: Sequence[float] = (),
    label: str = "waveform",
) -> WaveShape:
    """The outline of min/max peaks, top edge left to right then bottom edge back, and cue
    markers at fractions (0..1) of the width."""
    columns = len(hi)
    mid = height / 2
    scale = mid - 1

    def y(v: float) -> str:
        return f"{mid - max(-1.0, min(1.0, v)) * scale:.1f}"

    top = " ".join(f"{i},{y(float(v))}" for i, v in enumerate(hi))
    bottom = " ".join(f"{i},{y(float(v))}" for i, v in reversed(list(enumerate(lo))))
    xs = tuple(f"{m * columns:.1f}" for m in markers)
    return WaveShape(columns, height, f"{top} {bottom}", xs, label)


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
    waveform: WaveShape
    # the gate's view (inputs.safety.review_state): approval standing and every finding,
    # cleared ones included; None where the page was made without it
    approval: str | None = None  # current | stale | unbound | none
    findings: tuple[ReviewFinding, ...] = ()
    # the clip as a listener on a noisy AM receiver hears it (app.onair), and what it is
    heard_href: str | None = None
    heard_label: str = ""

    @property
    def identifying(self) -> bool:
        """Something identifying that nobody cleared (the badge)."""
        if self.approval is not None:
            return any(f.family == "identifying" and not f.cleared for f in self.findings)
        return any(w.kind == "identifying" for w in self.warnings)

    @property
    def cleared(self) -> int:
        return sum(f.cleared for f in self.findings)


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
    waveform: WaveShape
    downloads: tuple[str, ...] = field(default=())  # other deliverables, relative names


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
    state: ReviewState | None = None,
    heard: tuple[str, str] | None = None,
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
        # (what the gate found is listed with its findings, not twice)
        warnings=_not_found_by_the_gate(review_warnings(approved_text, lexicon), state),
        audio_href=href,
        waveform=wave_shape(facts.lo, facts.hi, label=f"waveform of {message_id}"),
        approval=state.approval.value if state is not None else None,
        findings=state.findings if state is not None else (),
        heard_href=heard[0] if heard is not None else None,
        heard_label=heard[1] if heard is not None else "",
    )


def _not_found_by_the_gate(
    warnings: Sequence[TextWarning], state: ReviewState | None
) -> tuple[TextWarning, ...]:
    if state is None:
        return tuple(warnings)
    found = {f.words for f in state.findings}
    return tuple(w for w in warnings if w.kind == "vocabulary" or w.excerpt not in found)


# --- the page ------------------------------------------------------------------------------------


def _static(name: str) -> str:
    return resources.files("audio_pipeline.publish").joinpath("static", name).read_text("utf-8")


def _sha256_source(text: str) -> str:
    """A CSP hash source for an inline element's exact text (CSP Level 3, hash-source)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def loudness_text(loudness: Loudness) -> str:
    return (
        f"{level(loudness.integrated_lufs)} LUFS, "
        f"true peak {level(loudness.true_peak_dbtp)} dBTP, LRA {loudness.lra_lu:.1f} LU"
    )


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("audio_pipeline.publish", "templates"),
        autoescape=True,  # every value is escaped unless a template says otherwise
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["clock"] = clock
    env.filters["loudness"] = loudness_text
    return env


def review_html(
    heading: str,
    subheading: str,
    clips: Sequence[ReviewClip],
    programme: ReviewProgramme | None = None,
) -> str:
    style, script = _static("review.css"), _static("review.js")
    csp = (
        f"default-src 'none'; style-src {_sha256_source(style)}; "
        f"script-src {_sha256_source(script)}; media-src 'self' file:"
    )
    return (
        environment()
        .get_template("review/page.html.j2")
        .render(
            heading=heading,
            subheading=subheading,
            clips=clips,
            programme=programme,
            version=__version__,
            csp=csp,
            # the package's own files, trusted: written as they are
            style=Markup(style),
            script=Markup(script),
        )
    )


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
    states: Mapping[str, ReviewState] | None = None,
    heard: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """The page of a rendered episode, from the files in its (staging) folder, or from what
    was measured and drawn while they were written: `clip_facts` by message id (the files
    `clips/<id>.wav`), `waveform` of `audio_file`; `heard` by message id: each clip's "as
    heard" file and its label."""
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
                state=(states or {}).get(seg.message_id),
                heard=(heard or {}).get(seg.message_id),
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
        waveform=wave_shape(
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

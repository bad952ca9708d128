"""What the listener hears, for a render and a review page: the AM deliverables scored over
the simulated channel (cues.json, the summary), and each clip "as heard" on a noisy
receiver, beside the clean one on the review page, so a reviewer hears before approving
what a listener in the dark with a cheap set will hear."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from audio_pipeline.app.simulate import channel_for, score_deliverables
from audio_pipeline.audio import wavfile
from audio_pipeline.audio.channel import SIM_RATE, ChannelModel
from audio_pipeline.audio.intelligibility import AS_HEARD, as_heard, text_seed
from audio_pipeline.core import defaults
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import Deliverable, Programme
from audio_pipeline.delivery.streams import profile_chain
from audio_pipeline.inputs.profiles import DeliveryProfile, load_profiles

HEARD_CONDITION = AS_HEARD  # a fair night: 10 dB SNR, with the band's fading on shortwave
HEARD_DIR = "heard"  # beside clips/: the as-heard versions, for the reviewer's ears only


@dataclass(frozen=True)
class Listening:
    """How the review page's "as heard" clips are made: a profile's AM processing (when it
    has any) and the channel a listener receives it over."""

    profile: DeliveryProfile
    model: ChannelModel
    reference_db: float

    @property
    def label(self) -> str:
        fading = " with fading" if self.model.fading is not None else ""
        return (
            f"as heard on {self.model.name}: {HEARD_CONDITION.snr_db:g} dB SNR{fading}, "
            f"a cheap receiver ({self.profile.name} processing)"
        )


def listening_for(
    profiles: Sequence[DeliveryProfile], shipped: Mapping[str, DeliveryProfile], reference_db: float
) -> Listening | None:
    """The episode's own AM profile (shortwave first), else the shipped shortwave profile;
    None when there is none to hear through (a project without it)."""
    am = [p for p in profiles if p.am_processing is not None]
    chosen = next((p for p in am if p.name == "shortwave"), am[0] if am else None)
    chosen = chosen or shipped.get("shortwave")
    if chosen is None:
        return None
    return Listening(chosen, channel_for(chosen), reference_db)


def heard_href(href: str) -> str:
    """`clips/<id>.wav` -> `heard/<id>.wav`: a folder of its own, so `clips/` keeps holding
    exactly the broadcast clips a partner may take, and nothing simulated is mistaken for one."""
    return f"{HEARD_DIR}/{PurePosixPath(href).name}"


def write_heard(
    folder: Path, href: str, samples: np.ndarray, message_id: str, listening: Listening
) -> str:
    """The clip at `href` (48 kHz) through the profile's chain and over the channel, written
    under heard/ as 16-bit PCM at the channel's rate; returns its href. Seeded by the message
    id: the same clip always sounds the same, and two clips do not share their noise."""
    chain = profile_chain(listening.profile, listening.reference_db)
    heard = as_heard(
        samples,
        defaults.SAMPLE_RATE,  # every clip a review page plays is at the programme's rate
        seed=text_seed(message_id),
        processing=chain,
        model=listening.model,
        condition=HEARD_CONDITION,
    )
    out = heard_href(href)
    (folder / HEARD_DIR).mkdir(exist_ok=True)
    wavfile.write(folder / out, heard, SIM_RATE, "pcm16")
    return out


def score_render(
    programme: Programme, deliverables: Sequence[Deliverable], profiles: Sequence[DeliveryProfile]
) -> dict[str, dict[str, Any]]:
    """Each AM profile's deliverable over its channel against the plain programme (clean,
    5 and 10 dB, with and without fading): for cues.json and the summary. Empty when no
    profile has AM processing (nothing is simulated then)."""
    if not any(p.am_processing is not None for p in profiles):
        return {}
    return score_deliverables(programme, deliverables, profiles)


def score_lines(scores: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per AM profile for the summary: ESTOI of the plain master and of the
    profile's file, by condition ("5 dB 0.35 -> 0.67")."""
    lines = []
    for profile, result in scores.items():
        cells = []
        for label in result.get("conditions", []):
            mean = result["mean"][label]
            plain, processed = mean.get("plain"), mean.get("processed")
            if plain is None or processed is None:
                continue
            cells.append(f"{label} {plain:.2f} -> {processed:.2f}")
        lines.append(
            f"on air: {profile} ({result.get('file')}) over the {result.get('channel')} channel, "
            f"ESTOI plain -> processed: {'; '.join(cells)}"
        )
    return lines


def heard_preview(project: Project, preview: Path, message_id: str) -> tuple[Path, str] | None:
    """A preview clip (48 kHz, at the speech target) as heard on air, written next to it
    (`heard/<id>.wav`) through the project's shortwave profile: the studio plays it under
    the clean preview. Returns its path and label; None without a shortwave profile."""
    profiles, _ = load_profiles(project)
    listening = listening_for([], profiles, defaults.TARGET_LUFS)
    if listening is None:
        return None
    samples, _rate = wavfile.read(preview)
    href = write_heard(preview.parent, preview.name, samples, message_id, listening)
    return preview.parent / href, listening.label

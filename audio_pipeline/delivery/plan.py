"""One profile's mastering plan and its verdicts: the gain, trims, level fixes and limiter
ceilings every file of the profile is encoded with (solved from pass 1 and a calibration
excerpt, so a file complies at its first encode), the judgement of each encoded file as
measured (made again, and how, when it misses), and the deliverables it becomes. The
streaming itself is delivery.master's."""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_pipeline.audio.mixdown import Mixdown
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.results import Deliverable, Programme, SegmentKind
from audio_pipeline.delivery.calibrate import calibrate_codec, calibration_excerpt
from audio_pipeline.delivery.headroom import FRAME
from audio_pipeline.delivery.peakfix import PeakFix, find_overshoots
from audio_pipeline.delivery.sinks import FileMeasure
from audio_pipeline.delivery.streams import (
    LIMIT_MARGIN_DB,
    ProcessedSpeech,
    SpeechLevels,
    Trims,
    _limit_whole,
    segment_trims,
)
from audio_pipeline.inputs.profiles import DeliveryProfile, OutputFormat

log = logging.getLogger(__name__)
SR = defaults.SAMPLE_RATE
ENCODED_TOLERANCE_LU = 0.15  # a file further than this from its target is made again
MESSAGE_TOLERANCE_LU = 0.5  # a listener never rides the volume: no message further off
PEAK_FIX_MARGIN_DB = 0.1
STUCK_DB = 0.1  # a peak fix that lowered the decoded peak by less did not work


def scaled_spans(
    programme: Programme, rate: int, offset: int = 0
) -> tuple[tuple[int, int, int], ...]:
    scale = rate / programme.sample_rate
    return tuple(
        (c.index, round(c.start * scale) + offset, round(c.end * scale) + offset)
        for c in programme.cues
        if c.kind is SegmentKind.MESSAGE
    )


@dataclass
class Plan:
    """One profile's mastering: its gain and trims from pass 1, and per file the codec's
    calibration, the level fix and limiter ceiling of the next encode, and the result."""

    profile: DeliveryProfile
    reference_db: float
    gain_db: float
    trims: Trims
    paths: dict[OutputFormat, Path]
    codec_gain: dict[OutputFormat, float]
    delays: dict[OutputFormat, int]
    ceilings: dict[OutputFormat, float]
    level_fix: dict[OutputFormat, float]
    processed: ProcessedSpeech | None = None  # pass 1's processed speech, replayed
    results: dict[OutputFormat, FileMeasure] = field(default_factory=dict)
    # where a codec brought peaks back over the ceiling: taken down there next time
    peak_fix: dict[OutputFormat, PeakFix] = field(default_factory=dict)

    @property
    def formats(self) -> list[OutputFormat]:
        return list(self.profile.formats)


def plan_profile(
    mix: Mixdown,
    profile: DeliveryProfile,
    speech: SpeechLevels,
    out_dir: Path,
    episode_id: str,
    reference_db: float,
) -> Plan:
    """Gain and trims from pass 1; the level fix that makes up what the limiter takes, solved
    on pass 1's model of the whole programme (made up before the limiter: see headroom); and
    per file, from an excerpt encoded and decoded back, the codec's level change (made up
    after the limiter) and its true-peak overshoot (room left under the limiter's ceiling).
    So every file complies on the first encode, and the measurement afterwards confirms it."""
    loudness = speech.loudness
    if not math.isfinite(loudness.integrated_lufs):
        raise RenderError(f"profile {profile.name}: the programme is silent; nothing to deliver")
    gain_db = profile.target_lufs - loudness.integrated_lufs
    trims = segment_trims(mix.programme, speech.levels, loudness.integrated_lufs)
    frames = np.arange(len(speech.limiter.peaks)) * FRAME + FRAME // 2
    model = speech.limiter.trimmed(trims.gains_at(frames))
    ceiling = profile.true_peak_dbtp
    formats = list(profile.formats)

    def level_fix(at: float) -> float:
        return model.level_fix(gain_db, at - LIMIT_MARGIN_DB)

    # the excerpt at the level the files will have, so the codec is measured as it will be fed
    excerpt = calibration_excerpt(mix, profile, reference_db, gain_db + level_fix(ceiling), trims)
    reference = np.concatenate(list(_limit_whole(excerpt, ceiling - LIMIT_MARGIN_DB)))
    with ThreadPoolExecutor(max_workers=max(1, len(formats))) as pool:  # encoders side by side
        calibration = dict(
            zip(
                formats,
                pool.map(lambda f: calibrate_codec(f, reference, ceiling), formats),
                strict=True,
            )
        )
    ceilings = {f: calibration[f].ceiling_dbtp for f in formats}
    fixes = {at: level_fix(at) for at in set(ceilings.values())}
    return Plan(
        profile=profile,
        reference_db=reference_db,
        gain_db=gain_db,
        trims=trims,
        paths={f: out_dir / f.filename(episode_id, profile.name) for f in formats},
        codec_gain={f: calibration[f].codec_gain_db for f in formats},
        delays={f: calibration[f].delay for f in formats},
        ceilings=ceilings,
        level_fix={f: fixes[ceilings[f]] for f in formats},
        processed=speech.processed,
    )


def check_length(path: Path, fmt: OutputFormat, frames: int, expected: int, delay: int) -> None:
    # an MPEG stream ends on a whole frame (1152 samples); anything else is lost audio
    frame = fmt.spec.frame_samples
    slack = 2 * frame if frame and delay else max(2, fmt.sample_rate // 1000)
    if not expected - max(2, fmt.sample_rate // 1000) <= frames <= expected + slack:
        raise RenderError(
            f"{path.name} decodes to {frames} samples, expected {expected}: "
            "the encoder lost or added audio"
        )


def judge(plan: Plan, fmt: OutputFormat, measured: FileMeasure, round_no: int) -> bool:
    """Record a file's measurement; True when it must be made again (and how)."""
    profile = plan.profile
    before = plan.results.get(fmt)
    plan.results[fmt] = measured
    error = profile.target_lufs - measured.loudness.integrated_lufs
    # a file its codec once brought over the ceiling has its noise right at it: it must
    # come in with a margin, or a meter oversampling further (ffmpeg's) reads it over
    margin = PEAK_FIX_MARGIN_DB if fmt in plan.peak_fix else 0.0
    over = measured.loudness.true_peak_dbtp - (profile.true_peak_dbtp - margin)
    log.info(
        "%s round %d: %.2f LUFS, %.2f dBTP (fix %+.2f dB, ceiling %.2f, codec %+.2f)",
        plan.paths[fmt].name,
        round_no,
        measured.loudness.integrated_lufs,
        measured.loudness.true_peak_dbtp,
        plan.level_fix[fmt],
        plan.ceilings[fmt],
        plan.codec_gain[fmt],
        extra={"deliverable": plan.paths[fmt].name, "encode_round": round_no},
    )
    if abs(error) > ENCODED_TOLERANCE_LU or over > 0:
        if abs(error) > ENCODED_TOLERANCE_LU:
            plan.level_fix[fmt] += error
        if over > 0 and fmt.codec != "wav":
            # the codec brought peaks back: take them down where they are (peakfix.py)
            limit = profile.true_peak_dbtp - PEAK_FIX_MARGIN_DB
            found = find_overshoots(plan.paths[fmt], fmt, plan.delays[fmt], limit)
            stuck = (
                fmt in plan.peak_fix
                and before is not None
                and measured.loudness.true_peak_dbtp > before.loudness.true_peak_dbtp - STUCK_DB
            )
            plan.peak_fix[fmt] = plan.peak_fix.get(fmt, PeakFix()).merged(found)
            if not found.dips or stuck:
                # nothing to take down where it is, or taking it down did not lower the
                # peak (at 32 kbit/s the codec spreads its noise over a whole frame, wider
                # than a dip): the whole stream then goes under a lower ceiling too
                plan.ceilings[fmt] -= over + 0.1
        elif over > 0:
            plan.ceilings[fmt] -= over + 0.1  # encoder overshoot: give it that headroom
        return True
    return False


def deliverables_of(plan: Plan, programme: Programme) -> list[Deliverable]:
    profile = plan.profile
    out = []
    for fmt in plan.formats:
        measured = plan.results[fmt]
        path, delay = plan.paths[fmt], plan.delays[fmt]
        expected = round(programme.length * fmt.sample_rate / SR) + delay
        check_length(path, fmt, measured.frames, expected, delay)
        by_index = {c.index: c for c in programme.cues}
        lra = measured.loudness.lra_lu
        if profile.max_lra is not None and lra > profile.max_lra:
            raise RenderError(
                f"{path.name}: loudness range {lra:.1f} LU, over the max_lra of profile "
                f"'{profile.name}' ({profile.max_lra:g} LU); fill the slot with programme "
                "audio rather than bed (fill: in the episode), or lower the bed"
            )
        for index, loud in measured.cues:
            off = loud.integrated_lufs - profile.target_lufs
            if not abs(off) <= MESSAGE_TOLERANCE_LU:
                raise RenderError(
                    f"{path.name}: message '{by_index[index].message_id}' reads "
                    f"{loud.integrated_lufs:.1f} LUFS, {off:+.1f} LU from the target "
                    f"{profile.target_lufs} (allowed: {MESSAGE_TOLERANCE_LU} LU); "
                    "check the bed level and the profile's levelling"
                )
        out.append(
            Deliverable(
                path,
                fmt.codec,
                fmt.sample_rate,
                measured.loudness,
                profile=profile.name,
                target_lufs=profile.target_lufs,
                true_peak_ceiling_dbtp=profile.true_peak_dbtp,
                cue_loudness=measured.cues,
                description=fmt.describe(),
                offset_samples=delay,
            )
        )
    return out

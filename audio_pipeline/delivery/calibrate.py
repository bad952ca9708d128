"""How a codec changes this programme's level, peaks and timing, learnt from a short excerpt
encoded and decoded back before the whole file is made, so most files comply at once."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_pipeline.audio import dsp, ffmpeg
from audio_pipeline.audio.loudness import integrated_lufs
from audio_pipeline.audio.mixdown import Mixdown
from audio_pipeline.core import defaults
from audio_pipeline.delivery.sinks import _EncoderFeed, measure_file
from audio_pipeline.delivery.streams import ProfileStream, Trims
from audio_pipeline.inputs.profiles import DeliveryProfile, OutputFormat

SR = defaults.SAMPLE_RATE

CALIBRATION_S = 20.0


CODEC_TP_SAFETY_DB = 0.3  # headroom below the ceiling for a lossy codec's overshoot


@dataclass(frozen=True)
class Calibration:
    codec_gain_db: float  # make up for the codec's own level change
    ceiling_dbtp: float  # limiter ceiling that leaves room for the codec's overshoot
    delay: int = 0  # decoded audio starts this many samples (at the file's rate) late


MAX_CODEC_DELAY = 4096


def codec_delay(sent: np.ndarray, decoded: np.ndarray) -> int:
    """Samples (at the working rate) by which `decoded` lags `sent`, by cross-correlation.

    MP3 carries its encoder delay in the LAME header and ffmpeg removes it; raw MP2 has no
    such header, so its decoded audio starts 481 samples late (the layer II filterbank)."""
    n = min(len(sent), len(decoded)) - MAX_CODEC_DELAY
    if n <= MAX_CODEC_DELAY:
        return 0
    a = sent[:n].astype(np.float64)
    b = decoded[: n + MAX_CODEC_DELAY].astype(np.float64)
    # corr[k] = sum_i b[i + k] a[i] for k in 0..MAX_CODEC_DELAY, through the FFT
    size = 1 << (len(b) + len(a) - 1).bit_length()
    full = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    return int(np.argmax(full[: MAX_CODEC_DELAY + 1]))


def calibrate_codec(fmt: OutputFormat, limited: np.ndarray, ceiling_dbtp: float) -> Calibration:
    """How this codec changes the level and the peaks of this programme's audio.

    LAME in CBR mode returns speech about 0.4 dB quieter than it was given (flat across the
    spectrum; more on broadband noise, so the excerpt must be the programme's own audio), and
    lossy codecs add overshoot above the limiter's ceiling. Encoding a short excerpt of the
    limited programme and measuring it back gives both; the whole file is still measured
    afterwards, and made again if it misses.
    """
    if not fmt.spec.lossy or not len(limited):
        return Calibration(0.0, ceiling_dbtp)
    with tempfile.TemporaryDirectory(prefix="ap-calibrate-") as tmp:
        path = Path(tmp) / f"calibration.{fmt.extension}"
        feed = _EncoderFeed(path, fmt)
        feed(0, limited)
        feed.close()
        measured = measure_file(path, fmt)
        decoded = ffmpeg.decode(path, label=path.name, sample_rate=SR)
    change = measured.loudness.integrated_lufs - integrated_lufs(limited, SR)
    gain = -change if math.isfinite(change) else 0.0
    overshoot = max(0.0, measured.loudness.true_peak_dbtp + gain - ceiling_dbtp)
    delay = round(codec_delay(limited, decoded) * fmt.sample_rate / SR)
    # an excerpt shows less overshoot than the whole programme will: keep a safety margin
    return Calibration(gain, ceiling_dbtp - overshoot - CODEC_TP_SAFETY_DB, delay)


def calibration_excerpt(
    mix: Mixdown, profile: DeliveryProfile, reference_db: float, gain_db: float, trims: Trims
) -> np.ndarray:
    """Up to CALIBRATION_S of the first message as this profile delivers it: through the
    profile's own stream (its chain and trims on the speech, the bed joining after the
    levelling), as pass 2 will make it."""
    programme = mix.programme
    speech = [s for s in programme.segments if s.message_id] or list(programme.segments)
    start = speech[0].start
    stop = min(programme.length, start + round(CALIBRATION_S * SR))
    stream = ProfileStream(mix, profile, reference_db, trims=trims)
    stream.position = start
    bed = mix.render_bed(start, stop) if stream.with_bed else None
    x = np.concatenate([stream.feed(mix.render(start, stop, bed=False), bed), stream.flush()])
    return (x * dsp.db_to_gain(gain_db)).astype(np.float32)

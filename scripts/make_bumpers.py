"""Generate the station bumpers in voices/bumpers/, the music bed in voices/beds/ and the
filler items in voices/fillers/ (no third-party audio).

Each bumper is a synthesized chime (bell partials with exponential decay) and a spoken station
line from the offline espeak-ng voice. The bed is a soft synthesized pad (a slow I-vi-IV-V
progression of detuned sines), written at 24 kHz: it has nothing above 2 kHz. The fillers a
fit: exact slot draws on: a station identification (chime and spoken line) and a short
instrumental (the pad's chords in another order). Deterministic for one build of espeak-ng:
running it again gives the same files.

    .venv/bin/python scripts/make_bumpers.py            # everything
    .venv/bin/python scripts/make_bumpers.py fillers    # voices/fillers/ only
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from audio_pipeline.audio import dsp, wavfile
from audio_pipeline.core import defaults
from audio_pipeline.engines.espeak_engine import EspeakEngine

SR = defaults.SAMPLE_RATE
OUT = Path(__file__).resolve().parent.parent / "voices" / "bumpers"
BELL_PARTIALS = ((1.0, 1.0, 1.6), (2.76, 0.45, 0.9), (5.40, 0.25, 0.5), (8.93, 0.12, 0.3))
VOICE = {"voice": "ko", "variant": "", "rate": 140, "pitch": 45}


def bell(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    tone = np.zeros_like(t)
    for ratio, amp, decay in BELL_PARTIALS:
        tone += amp * np.sin(2 * math.pi * freq * ratio * t) * np.exp(-t / decay)
    attack = np.minimum(1.0, t / 0.004)  # 4 ms attack: no click
    return (tone * attack / np.max(np.abs(tone))).astype(np.float32)


def chime(notes: list[float], spacing: float, tail: float) -> np.ndarray:
    total = spacing * (len(notes) - 1) + tail
    out = np.zeros(round(total * SR), dtype=np.float32)
    for i, f in enumerate(notes):
        b = bell(f, tail)
        start = round(i * spacing * SR)
        out[start : start + len(b)] += b
    return dsp.fade_edges(0.5 * out / np.max(np.abs(out)), SR, 0.02)


def speak(text: str) -> np.ndarray:
    engine = EspeakEngine()
    parts = []
    for sentence in text.split("\n"):
        audio = engine.synthesize(sentence, VOICE)
        parts.append(dsp.trim_silence(dsp.resample(audio.samples, audio.sample_rate, SR), SR))
        parts.append(dsp.silence(0.35, SR))
    speech = np.concatenate(parts[:-1])
    return 0.5 * speech / np.max(np.abs(speech))


def write(name: str, pieces: list[np.ndarray]) -> None:
    audio = np.concatenate(pieces).astype(np.float32)
    OUT.mkdir(parents=True, exist_ok=True)
    wavfile.write(OUT / f"{name}.wav", audio, SR, "pcm16")
    print(f"{OUT / name}.wav: {len(audio) / SR:.2f} s")


BED_RATE = 24_000


TONIC, SUBMEDIANT, SUBDOMINANT, DOMINANT = (
    (261.63, 329.63, 392.00),
    (220.00, 261.63, 329.63),
    (174.61, 220.00, 261.63),
    (196.00, 246.94, 293.66),
)


def pad(
    seconds_per_chord: float = 3.0,
    chords: tuple[tuple[float, ...], ...] = (TONIC, SUBMEDIANT, SUBDOMINANT, DOMINANT),
) -> np.ndarray:
    """A soft pad (I-vi-IV-V in C by default), each chord's notes as detuned sine pairs."""
    n = round(seconds_per_chord * BED_RATE)
    t = np.arange(n) / BED_RATE
    swell = np.sin(np.pi * t / seconds_per_chord) ** 0.5  # each chord swells in and out
    parts = []
    for chord in chords:
        tone = sum(np.sin(2 * math.pi * f * t) + np.sin(2 * math.pi * f * 1.003 * t) for f in chord)
        parts.append(tone * swell)
    out = np.concatenate(parts)
    return (0.4 * out / np.max(np.abs(out))).astype(np.float32)


def fillers() -> None:
    """voices/fillers/: what a fit: exact slot plays rather than dead air."""
    g5, c6, e6 = 783.99, 1046.50, 1318.51
    folder = OUT.parent / "fillers"
    folder.mkdir(exist_ok=True)
    station = [
        chime([c6, e6, g5], 0.22, 1.2),
        dsp.silence(0.2, SR),
        speak(f"여러분은 지금 {defaults.STATION}을 듣고 계십니다."),
        dsp.silence(0.3, SR),
    ]
    audio = np.concatenate(station).astype(np.float32)
    wavfile.write(folder / "station-id.wav", audio, SR, "pcm16")
    print(f"{folder / 'station-id.wav'}: {len(audio) / SR:.2f} s")
    order = (SUBDOMINANT, TONIC, DOMINANT, SUBMEDIANT, SUBDOMINANT, DOMINANT, TONIC)
    music = dsp.fade_edges(pad(2.5, order), BED_RATE, 1.0)
    wavfile.write(folder / "instrumental.wav", music, BED_RATE, "pcm16")
    print(f"{folder / 'instrumental.wav'}: {len(music) / BED_RATE:.2f} s")


def main() -> None:
    if sys.argv[1:] == ["fillers"]:
        fillers()
        return
    g5, c6, e6 = 783.99, 1046.50, 1318.51
    station = defaults.STATION
    write(
        "intro",
        [
            chime([g5, c6, e6], 0.28, 1.4),
            dsp.silence(0.2, SR),
            speak(f"{station}입니다.\n오늘도 당신에게 소망의 소식을 전합니다."),
            dsp.silence(0.3, SR),
        ],
    )
    write(
        "outro",
        [
            dsp.silence(0.2, SR),
            speak(f"주님의 평안이 늘 함께하기를 빕니다.\n지금까지 {station}이었습니다."),
            dsp.silence(0.4, SR),
            chime([e6, c6, g5], 0.28, 1.8),
        ],
    )
    write("sting", [chime([c6, e6], 0.18, 0.9)])
    beds = OUT.parent / "beds"
    beds.mkdir(exist_ok=True)
    bed = pad()
    wavfile.write(beds / "soft-pad.wav", bed, BED_RATE, "pcm16")
    print(f"{beds / 'soft-pad.wav'}: {len(bed) / BED_RATE:.2f} s")
    fillers()


if __name__ == "__main__":
    main()

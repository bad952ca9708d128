"""Offline Korean synthesis through the bundled libespeak-ng, for real."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio import loudness
from audio_pipeline.engines.espeak_engine import EspeakEngine


def test_korean_sentence_is_spoken() -> None:
    audio = EspeakEngine().synthesize("하나님은 당신을 잊지 않으셨습니다.", {"rate": 150})
    seconds = len(audio.samples) / audio.sample_rate
    assert audio.sample_rate == 22_050
    assert 1.0 < seconds < 6.0
    assert loudness.integrated_lufs(audio.samples, audio.sample_rate) > -40


def test_slower_rate_gives_longer_audio() -> None:
    engine = EspeakEngine()
    text = "전 세계의 교회가 당신을 위해 기도하고 있습니다."
    fast = engine.synthesize(text, {"rate": 220}).samples
    slow = engine.synthesize(text, {"rate": 110}).samples
    assert len(slow) > 1.5 * len(fast)


def test_output_is_deterministic() -> None:
    engine = EspeakEngine()
    a = engine.synthesize("오늘도 힘을 내십시오.", {}).samples
    b = engine.synthesize("오늘도 힘을 내십시오.", {}).samples
    np.testing.assert_array_equal(a, b)


def test_probe_and_version() -> None:
    engine = EspeakEngine()
    assert engine.probe() is None
    assert engine.version().startswith("espeak-ng-1.")


@pytest.mark.parametrize(
    ("options", "field"), [({"rate": 5}, "rate"), ({"variant": "zz9"}, "variant")]
)
def test_bad_options_are_named(options: dict[str, object], field: str) -> None:
    assert [f for f, _ in EspeakEngine.check_options(options)] == [field]


# --- how the offline voice sounds: measured, with measures of the tests' own -----------------

OFFLINE = {"voice": "ko", "rate": 110, "pitch": 45, "range": 90}  # voices/ko-offline.yaml
SENTENCES = (
    "당신은 혼자가 아닙니다.",
    "우리는 당신을 위해 기도합니다.",
    "하나님께서 당신 곁에 계십니다.",
    "어둠 속에도 빛이 있습니다.",
    "평안이 함께하기를 바랍니다.",
)


def levels_db(x: np.ndarray, rate: int, frame_s: float = 0.01) -> np.ndarray:
    hop = int(rate * frame_s)
    frames = x[: len(x) // hop * hop].astype(np.float64).reshape(-1, hop)
    return np.asarray(20 * np.log10(np.maximum(np.sqrt((frames**2).mean(axis=1)), 1e-9)))


def tail_db(x: np.ndarray, rate: int) -> float:
    """The last 10 ms of sound (above -60 dBFS) against the utterance's RMS, in dB."""
    levels = levels_db(x, rate)
    end = (int(np.flatnonzero(levels > -60)[-1]) + 1) * int(rate * 0.01)
    sound = x[:end].astype(np.float64)
    whole = np.sqrt((sound**2).mean())
    last = np.sqrt((sound[-int(rate * 0.01) :] ** 2).mean())
    return float(20 * np.log10(last / whole))


def words(x: np.ndarray, rate: int) -> list[np.ndarray]:
    """The stretches of sound between espeak's word gaps (20 ms or more of digital silence)."""
    quiet = np.abs(x) < 1e-4
    gap = int(0.02 * rate)
    found, start, run = [], None, 0
    for i, q in enumerate(quiet):
        run = run + 1 if q else 0
        if not q and start is None:
            start = i
        if start is not None and run >= gap:
            found.append(x[start : i - run + 1])
            start = None
    if start is not None:
        found.append(x[start:])
    return [w for w in found if len(w) > 0.05 * rate]


def pitch_hz(x: np.ndarray, rate: int) -> np.ndarray:
    """F0 of the voiced 40 ms frames (autocorrelation), every 10 ms."""
    hop, win = int(rate * 0.01), int(rate * 0.04)
    found = []
    for start in range(0, len(x) - win, hop):
        w = x[start : start + win].astype(np.float64) * np.hanning(win)
        if np.sqrt((w**2).mean()) < 0.02:
            continue
        corr = np.correlate(w, w, "full")[win - 1 :]
        lo, hi = int(rate / 400), int(rate / 60)
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[lag] > 0.45 * corr[0]:
            found.append(rate / lag)
    return np.array(found)


def test_espeak_itself_stops_the_last_vowel_at_full_level() -> None:
    """What the release is for: the library's own output ends within a few dB of the
    sentence's level (a voice decays); the engine's ends 20 dB or more below it."""
    from audio_pipeline.engines.espeak_engine import _zygotes

    raw = [tail_db(*_zygotes.speak(t, "ko", 110, 45, 90)) for t in SENTENCES]
    assert sum(t > -6.0 for t in raw) >= 3, raw
    engine = EspeakEngine()
    ours = [
        tail_db(*(lambda a: (a.samples, a.sample_rate))(engine.synthesize(t, OFFLINE)))
        for t in SENTENCES
    ]
    assert all(t < -20.0 for t in ours), ours


def test_the_last_syllable_is_whole_and_dies_away_unlike_the_same_syllable_mid_sentence() -> None:
    """기도합니다, 그리고 기도합니다: espeak closes its ㄷ with digital silence, so the two 다
    stand alone between gaps: [기도합니] [다] [그리고] [기도합니] [다]."""
    from audio_pipeline.engines.espeak_engine import RELEASE_S

    audio = EspeakEngine().synthesize("기도합니다, 그리고 기도합니다.", OFFLINE)
    rate = audio.sample_rate
    parts = words(audio.samples, rate)
    assert len(parts) == 5, [len(p) / rate for p in parts]
    mid, last = parts[1], parts[-1]
    # nothing of it is lost: the final 다 lasts at least as long as the one mid-sentence
    # before the release is counted
    assert (len(last) / rate - RELEASE_S) >= 0.95 * len(mid) / rate
    # espeak stops the mid-sentence 다 at full level (a clause pause follows); the final one
    # dies away
    assert tail_db(mid, rate) > -6.0
    assert tail_db(last, rate) < -25.0


def test_pace_is_about_four_syllables_a_second_of_speech_and_pitch_moves() -> None:
    engine = EspeakEngine()
    syllables = voiced_s = 0.0
    contours = []
    for text in SENTENCES:
        audio = engine.synthesize(text, OFFLINE)
        voiced_s += float((levels_db(audio.samples, audio.sample_rate) > -35).sum()) * 0.01
        syllables += sum(1 for c in text if "가" <= c <= "힣")
        contours.append(pitch_hz(audio.samples, audio.sample_rate))
    assert 3.6 <= syllables / voiced_s <= 4.4
    f0 = np.concatenate(contours)
    semitones = 12 * np.log2(np.percentile(f0, 95) / np.percentile(f0, 5))
    assert semitones >= 8.0  # espeak's default range (50) moves about 6
    flat = np.concatenate(
        [
            pitch_hz(
                *(lambda a: (a.samples, a.sample_rate))(
                    engine.synthesize(t, {**OFFLINE, "range": 50})
                )
            )
            for t in SENTENCES
        ]
    )
    assert 12 * np.log2(np.percentile(flat, 95) / np.percentile(flat, 5)) < semitones - 2

"""Objective intelligibility of speech as received: ESTOI over the AM channel simulator.

ESTOI (extended short-time objective intelligibility, Jensen & Taal, IEEE/ACM TASLP 24(11),
2016) compares the clean speech with the received speech in 1/3-octave bands from 150 Hz to
4.3 kHz over 384 ms windows; it is computed by pystoi, the reference Python port. 1 means the
received speech carries the clean speech's envelope modulations intact, 0 that it carries none
of them. It is a proxy, not a listening test: it normalizes every band, so it does not hear
the receiver's muffled top end, and it counts any change of a syllable's envelope (such as
compression, which a listener in quiet does not notice) as lost information (see the README,
"Intelligibility on the air").

Scores are per span (a message), for every condition of a grid. Two versions of a programme
(the plain master and a processed profile) meet the same noise and fading, span by span:
common random numbers, so the difference is the processing, not the luck of the draw.
Programmes are streamed (48 kHz blocks in, one span at a time held): a two-hour programme is
never held whole.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from audio_pipeline.audio.channel import (
    SHORTWAVE,
    SIM_RATE,
    ChannelModel,
    Condition,
    receive,
    to_sim_rate,
    transmitter_audio_stream,
)
from audio_pipeline.audio.filters import FIRBank
from audio_pipeline.audio.processing import Chain
from audio_pipeline.core import defaults

DEFAULT_SNRS = (0.0, 5.0, 10.0, 15.0)
AS_HEARD = Condition(10.0, fading=True)  # what the review page plays: a fair night on HF
ALIGN_MAX_S = 0.02  # the most two versions of a span may be offset (filters, codecs)
MIN_SPAN_S = 1.0  # ESTOI needs 30 frames (384 ms) of speech; shorter spans are not scored
DECIMATION = defaults.SAMPLE_RATE // SIM_RATE
DECIMATION_TAPS = 193  # linear phase, delay 96 samples = 32 at SIM_RATE: a whole number
DECIMATION_CUTOFF_HZ = 7000.0


def conditions(snrs: Sequence[float] = DEFAULT_SNRS, fading: bool = True) -> tuple[Condition, ...]:
    """The grid: the noiseless channel, every SNR without fading, and with fading."""
    grid = [Condition(None)] + [Condition(float(s)) for s in snrs]
    if fading:
        grid += [Condition(float(s), fading=True) for s in snrs]
    return tuple(grid)


def align(reference: np.ndarray, other: np.ndarray, max_lag: int) -> np.ndarray:
    """`other` shifted (by at most `max_lag` samples either way, by cross-correlation, through
    the FFT) to line up with `reference`; the same length as `reference`, zeros where it has
    nothing."""
    n = len(reference)
    if n == 0 or max_lag <= 0:
        return _fit(other, n)
    a = reference.astype(np.float64)
    b = _fit(np.concatenate([np.zeros(max_lag), other.astype(np.float64)]), n + 2 * max_lag)
    size = 1 << (len(a) + len(b) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    start = int(np.argmax(corr[: 2 * max_lag + 1]))  # other[k - max_lag + start] ~ ref[k]
    return b[start : start + n]


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    return x[:n] if len(x) >= n else np.concatenate([x, np.zeros(n - len(x))])


def estoi(clean: np.ndarray, received: np.ndarray, rate: int) -> float:
    """ESTOI of `received` against `clean` (same rate), aligned first. NaN when the clean
    speech holds too little sound to score (pystoi needs 30 frames after removing silence)."""
    from pystoi import stoi

    if len(clean) < MIN_SPAN_S * rate:
        return math.nan
    aligned = align(clean, received, round(ALIGN_MAX_S * rate))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # pystoi warns and returns 1e-5
        try:
            return float(stoi(clean.astype(np.float64), aligned, rate, extended=True))
        except RuntimeWarning:
            return math.nan


def score_spans(
    clean: np.ndarray, received: np.ndarray, spans: Sequence[tuple[int, int]], rate: int
) -> list[float]:
    """ESTOI of each span [start, end) of `received` against the same span of `clean`."""
    return [estoi(clean[s:e], received[s:e], rate) for s, e in spans]


def hash_seed(seed: int, span: int, condition: Condition) -> int:
    """One integer seed per (seed, span, condition), the same for every version and whatever
    else the grid holds."""
    snr = 0 if condition.snr_db is None else round(condition.snr_db * 1000) + 1_000_000
    key = [seed, span, snr, int(condition.fading)]
    return int(np.random.SeedSequence(key).generate_state(1)[0])


def text_seed(text: str) -> int:
    """A stable seed from a name (a message id): the same clip always meets the same noise."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


@dataclass(frozen=True)
class SpanScores:
    """One version of a programme over the channel: per condition, one score per span."""

    conditions: tuple[Condition, ...]
    scores: tuple[tuple[float, ...], ...]  # [condition][span]

    def mean(self, condition: Condition) -> float:
        values = [v for v in self.scores[self.conditions.index(condition)] if math.isfinite(v)]
        return float(np.mean(values)) if values else math.nan


Listener = Callable[[int, int, np.ndarray], None]  # (span, condition index, audio as heard)


def score_span(
    audio: np.ndarray,
    clean: np.ndarray,
    index: int,
    model: ChannelModel,
    grid: Sequence[Condition],
    *,
    drive: float,
    seed: int = 0,
    listen: Listener | None = None,
) -> list[float]:
    """Span `index` of a version (`audio`, at SIM_RATE) over the channel in every condition,
    scored against the clean span (at SIM_RATE)."""
    row = []
    for j, condition in enumerate(grid):
        heard = receive(
            audio, SIM_RATE, model, condition, drive=drive, seed=hash_seed(seed, index, condition)
        )
        if listen is not None:
            listen(index, j, heard)
        row.append(estoi(clean, heard, SIM_RATE))
    return row


def score_version(
    audio: np.ndarray,
    clean: np.ndarray,
    spans: Sequence[tuple[int, int]],
    rate: int,
    model: ChannelModel,
    grid: Sequence[Condition],
    *,
    drive: float,
    seed: int = 0,
) -> SpanScores:
    """Every span of `audio` sent over the channel in every condition and scored against the
    same span of `clean` (both in memory at `rate`, sample-aligned). `drive` is
    `modulation_drive` of the whole of `audio`."""
    rows = [
        score_span(
            to_sim_rate(audio[s:e], rate),
            to_sim_rate(clean[s:e], rate),
            i,
            model,
            grid,
            drive=drive,
            seed=seed,
        )
        for i, (s, e) in enumerate(spans)
    ]
    return SpanScores(tuple(grid), tuple(zip(*rows, strict=True)) if rows else ())


class Decimator:
    """48 kHz blocks to SIM_RATE: a linear-phase low-pass, then every DECIMATION-th sample,
    its delay taken out (so sample k out is sample DECIMATION x k in)."""

    def __init__(self) -> None:
        from scipy.signal import firwin

        self.fir = FIRBank(firwin(DECIMATION_TAPS, DECIMATION_CUTOFF_HZ, fs=defaults.SAMPLE_RATE))
        self.skip = (DECIMATION_TAPS - 1) // 2
        self.position = 0  # samples of the filtered, delay-free stream seen so far

    def push(self, block: np.ndarray) -> np.ndarray:
        y = self.fir.apply(block.astype(np.float64))[0]
        drop = min(self.skip, len(y))
        y, self.skip = y[drop:], self.skip - drop
        first = (-self.position) % DECIMATION
        self.position += len(y)
        return np.asarray(y[first::DECIMATION])

    def flush(self) -> np.ndarray:
        return self.push(np.zeros((DECIMATION_TAPS - 1) // 2))


def at_sim_rate(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """A 48 kHz stream of blocks as a SIM_RATE stream (the same length / DECIMATION)."""
    decimator = Decimator()
    total = 0
    given = 0
    for block in blocks:
        total += len(block)
        out = decimator.push(block)
        given += len(out)
        yield out
    owed = -(-total // DECIMATION) - given
    yield decimator.flush()[:owed]


def stream_drive(blocks: Iterable[np.ndarray], model: ChannelModel) -> float:
    """`channel.modulation_drive` of a SIM_RATE stream, without holding it."""
    peak = 0.0
    for y in transmitter_audio_stream(blocks, model):
        peak = max(peak, float(np.max(np.abs(y), initial=0.0)))
    return model.modulation / peak if peak > 0 else 1.0


def collect_spans(
    blocks: Iterable[np.ndarray], spans: Sequence[tuple[int, int]]
) -> Iterator[np.ndarray]:
    """The samples of each span [start, end), in the order of `spans` (sorted by start),
    from a stream of blocks; only the samples from the earliest unfinished span are held.
    A span reaching past the end of the stream is cut there."""
    pending = list(range(len(spans)))
    buffer = np.zeros(0)
    base = spans[0][0] if spans else 0  # stream position of buffer[0]
    position = 0
    for block in itertools.chain(blocks, [None]):  # lazily: never the whole stream at once
        if block is not None:
            start = max(position, base)
            if start < position + len(block):
                buffer = np.concatenate([buffer, block[start - position :]])
            position += len(block)
        while pending and (spans[pending[0]][1] <= position or block is None):
            s, e = spans[pending.pop(0)]
            yield buffer[max(0, s - base) : max(0, min(e, position) - base)]
            if pending:
                drop = spans[pending[0]][0] - base
                if drop > 0:
                    buffer, base = buffer[drop:], base + drop
        if not pending:
            return


@dataclass(frozen=True)
class Comparison:
    """A processed version of a programme against its plain version, over one channel."""

    channel: ChannelModel
    labels: tuple[str, ...]  # one per span (message ids)
    plain: SpanScores
    processed: SpanScores

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.plain.conditions

    def as_dict(self) -> dict[str, Any]:
        """For cues.json and scores.json: per condition the programme means, per message
        the scores (3 decimals; null where a span could not be scored)."""

        def num(v: float) -> float | None:
            return round(v, 3) if math.isfinite(v) else None

        grid = self.conditions
        return {
            "measure": "ESTOI (pystoi), received against the clean plain programme",
            "channel": self.channel.name,
            "conditions": [c.label for c in grid],
            "mean": {
                c.label: {
                    "plain": num(self.plain.mean(c)),
                    "processed": num(self.processed.mean(c)),
                }
                for c in grid
            },
            "messages": {
                label: {
                    c.label: {
                        "plain": num(self.plain.scores[j][i]),
                        "processed": num(self.processed.scores[j][i]),
                    }
                    for j, c in enumerate(grid)
                }
                for i, label in enumerate(self.labels)
            },
        }


Blocks = Callable[[], Iterable[np.ndarray]]  # a fresh stream of 48 kHz blocks each call


def compare(
    plain: Blocks,
    processed: Blocks,
    spans: Sequence[tuple[int, int]],
    labels: Sequence[str],
    model: ChannelModel = SHORTWAVE,
    grid: Sequence[Condition] = conditions(),
    *,
    seed: int = 0,
    listen_plain: Listener | None = None,
    listen_processed: Listener | None = None,
) -> Comparison:
    """Both versions (48 kHz streams, programme-aligned: span positions are the same in
    both) over the channel, span by span, against the plain version's clean spans. Each
    version's modulation drive is set from its own peaks over the whole programme (one
    read), then the spans are scored (a second read)."""
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    sim = [(spans[i][0] // DECIMATION, spans[i][1] // DECIMATION) for i in order]
    drives = [stream_drive(at_sim_rate(v()), model) for v in (plain, processed)]
    rows: dict[int, tuple[list[float], list[float]]] = {}
    pairs = zip(
        collect_spans(at_sim_rate(plain()), sim),
        collect_spans(at_sim_rate(processed()), sim),
        strict=True,
    )
    for i, (clean, other) in zip(order, pairs, strict=True):
        rows[i] = (
            score_span(
                clean, clean, i, model, grid, drive=drives[0], seed=seed, listen=listen_plain
            ),
            score_span(
                other, clean, i, model, grid, drive=drives[1], seed=seed, listen=listen_processed
            ),
        )

    def scores(k: int) -> SpanScores:
        by_span = [rows[i][k] for i in range(len(spans))]
        return SpanScores(tuple(grid), tuple(zip(*by_span, strict=True)) if by_span else ())

    return Comparison(model, tuple(labels), scores(0), scores(1))


def as_heard(
    samples: np.ndarray,
    rate: int,
    *,
    seed: int,
    processing: Chain | None = None,
    model: ChannelModel = SHORTWAVE,
    condition: Condition = AS_HEARD,
) -> np.ndarray:
    """A clip as a listener hears it: through `processing` (a profile's chain, e.g.
    delivery.streams.profile_chain(profile, reference_db)) if given, then over the channel
    in `condition` (by default AS_HEARD: 10 dB with the band's fading), the modulation
    drive set from the clip's own peaks. Audio at SIM_RATE, peaks at about -6 dBFS;
    the same seed gives the same audio."""
    from audio_pipeline.audio.channel import modulation_drive

    x = samples.astype(np.float32)
    if processing is not None:
        x = np.concatenate([processing.process(x), processing.flush()])
    heard = receive(x, rate, model, condition, drive=modulation_drive(x, rate, model), seed=seed)
    return np.asarray(0.5 * np.clip(heard, -2.0, 2.0), dtype=np.float32)

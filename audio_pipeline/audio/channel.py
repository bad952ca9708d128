"""An AM broadcast channel, from the transmitter's audio input to a cheap receiver's speaker.

Pure numpy/scipy, simulated at complex baseband (the carrier sits at 0 Hz), seeded: the same
audio, channel, condition and seed give the same samples. What is modelled, in order:

1. Transmitter audio band: a second-order high-pass at 150 Hz and a tenth-order low-pass at
   4.5 kHz, the audio band of double-sideband broadcasting (ITU Radio Regulations Appendix 11).
2. Modulation: the drive is set from the programme's peaks, as an operator sets it on the
   modulation meter: the largest sample of the band-limited programme reaches `modulation`
   (100 % by default). The envelope 1 + m(t) is clipped at 0 (a negative over-modulation cuts
   the carrier off) and at 1 + POSITIVE_PEAK (the transmitter's positive capability), so an
   over-driven programme distorts as on the air.
3. Propagation: optional fading. Flat fading is one Rayleigh path; selective fading is the
   Watterson two-path model of ITU-R F.1487: two independent Rayleigh paths of equal mean
   power, each with a Gaussian Doppler spectrum whose "frequency spread" is twice its
   standard deviation, the second path late by the differential delay (mid-latitude
   moderate: 1 ms, 0.5 Hz). The two paths interfere: notches every 1/delay Hz sweep through
   the sidebands, and when the carrier itself fades the envelope detector distorts
   (selective-fading distortion), as shortwave listeners hear it.
4. Noise: white complex Gaussian noise, band-limited by the receiver's IF filter (the channel,
   e.g. +/-4.5 kHz for a 9 kHz raster).
5. Receiver: envelope detector, an AGC that follows the carrier (time constant
   `agc_time_s`, at most AGC_RANGE_DB of extra gain in a fade, which lifts the noise as a
   real receiver does), the coupling high-pass, and the audio response of an inexpensive set:
   about 3 dB down at 2 kHz and falling steeply above (third-order low-pass; cf. NRSC-G100's
   survey of AM receivers and ITU-R BS.703's reference receiver).

The signal-to-noise ratio is defined once, against the channel alone: SNR is the audio SNR a
receiver test signal would have at the detector, a 1 kHz tone modulating the carrier to 30 %
(the standard modulation of IEC 60315-3 receiver measurements) with the noise in the receiver
bandwidth: SNR = CNR + 20 log10(0.3), i.e. the carrier-to-noise ratio (unmodulated carrier power
against noise power in the IF bandwidth) less 10.5 dB. It does not depend on the programme, so
a programme that modulates the carrier more densely gets more speech above the same noise:
that is the honest benefit of AM processing. (0 dB is a carrier 10.5 dB over the noise, near
the envelope detector's threshold; 15 dB is a fair night-time signal.)

The output is the receiver's audio at SIM_RATE, in modulation units (a 100 % peak reads 1.0),
advanced by the filters' group delay at 1 kHz so it lines up with the input.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

SIM_RATE = 16_000  # complex baseband at 16 kHz holds the +/-4.5 kHz channel with room
STANDARD_MODULATION = 0.3  # IEC 60315-3: receiver measurements at 30 % modulation, 1 kHz
POSITIVE_PEAK = 1.25  # positive modulation capability of a broadcast AM transmitter (125 %)
AGC_RANGE_DB = 30.0  # the most a receiver's AGC lifts its gain in a fade
FADING_RATE = 100.0  # Hz: fading gains are made at this rate and interpolated
TX_HIGHPASS_ORDER = 2
TX_LOWPASS_ORDER = 10
IF_ORDER = 6
RX_LOWPASS_ORDER = 3
RX_HIGHPASS_HZ = 100.0  # coupling capacitors and a small speaker or earphones


@dataclass(frozen=True)
class Fading:
    """ITU-R F.1487 fading: `paths` independent Rayleigh paths of equal mean power, each with
    a Gaussian Doppler spectrum of `spread_hz` (twice its standard deviation), the second
    path `delay_ms` late. One path is flat fading."""

    spread_hz: float = 0.5
    delay_ms: float = 1.0
    paths: int = 2


@dataclass(frozen=True)
class ChannelModel:
    name: str
    description: str
    fading: Fading | None  # the fading of this band's "with fading" conditions
    tx_highpass_hz: float = 150.0
    tx_lowpass_hz: float = 4500.0
    modulation: float = 1.0  # the programme's largest peak drives the carrier to this depth
    if_bandwidth_hz: float = 9000.0  # two-sided: the receiver passes carrier +/- half of it
    rx_corner_hz: float | None = 2000.0  # receiver audio -3 dB here, steep above (None: flat)
    agc_time_s: float = 0.2


MEDIUMWAVE = ChannelModel(
    "mediumwave",
    "MF ground wave: 9 kHz channel (ITU Region 3), no fading",
    fading=None,
)
SHORTWAVE = ChannelModel(
    "shortwave",
    "HF sky wave: 9 kHz receiver bandwidth, Watterson two-path fading "
    "(ITU-R F.1487 mid-latitude moderate: 1 ms, 0.5 Hz)",
    fading=Fading(spread_hz=0.5, delay_ms=1.0, paths=2),
)
CHANNELS = {c.name: c for c in (SHORTWAVE, MEDIUMWAVE)}


@dataclass(frozen=True)
class Condition:
    """One reception condition: SNR (as defined above; None for a noiseless channel) and
    whether the band's fading applies."""

    snr_db: float | None
    fading: bool = False

    @property
    def label(self) -> str:
        base = "clean" if self.snr_db is None else f"{self.snr_db:g} dB"
        return f"{base} fading" if self.fading else base


def cnr_db(snr_db: float) -> float:
    """Carrier-to-noise ratio in the IF bandwidth for a given SNR (see the module notes)."""
    return snr_db - 20.0 * math.log10(STANDARD_MODULATION)


@functools.cache
def _sos(order: int, hz: float, kind: str, rate: int) -> np.ndarray:
    from scipy.signal import butter

    return np.asarray(butter(order, hz, kind, fs=rate, output="sos"))


def _filter(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Causal filtering, started in the steady state of the first sample (no start-up
    transient when the carrier or a DC level is already there at the first sample)."""
    from scipy.signal import sosfilt, sosfilt_zi

    zi = sosfilt_zi(sos) * x[0] if len(x) else None
    if zi is None:
        return x
    return np.asarray(sosfilt(sos, x, zi=zi)[0])


def transmitter_audio(x: np.ndarray, model: ChannelModel) -> np.ndarray:
    """The transmitter's audio filter (Appendix 11 band), at SIM_RATE."""
    return _filter(_filters(model).transmitter, x.astype(np.float64))


def transmitter_audio_stream(
    blocks: Iterable[np.ndarray], model: ChannelModel
) -> Iterator[np.ndarray]:
    """`transmitter_audio` of a stream of SIM_RATE blocks, block by block."""
    from scipy.signal import sosfilt, sosfilt_zi

    sos = _filters(model).transmitter
    state: np.ndarray | None = None
    for block in blocks:
        if not len(block):
            continue
        x = block.astype(np.float64)
        if state is None:
            state = sosfilt_zi(sos) * x[0]
        y, state = sosfilt(sos, x, zi=state)
        yield np.asarray(y)


def to_sim_rate(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == SIM_RATE:
        return x.astype(np.float64)
    from scipy.signal import resample_poly

    g = math.gcd(rate, SIM_RATE)
    return np.asarray(resample_poly(x.astype(np.float64), SIM_RATE // g, rate // g))


def modulation_drive(x: np.ndarray, rate: int, model: ChannelModel) -> float:
    """The gain from programme samples to modulation: the programme's largest peak after the
    transmitter's audio filter reaches `model.modulation`. Measure it over the whole programme
    and pass it to `receive` for every part of it."""
    peak = float(np.max(np.abs(transmitter_audio(to_sim_rate(x, rate), model)), initial=0.0))
    return model.modulation / peak if peak > 0 else 1.0


def fading_gains(
    n: int, fading: Fading, rng: np.random.Generator, rate: int = SIM_RATE
) -> np.ndarray:
    """Complex gains of each path, shape (paths, n) at `rate`: zero-mean complex Gaussian
    processes (Rayleigh envelopes) with a Gaussian Doppler spectrum of standard deviation
    spread/2, and a total mean power of 1 shared equally by the paths (ITU-R F.1487)."""
    slow = math.ceil(n / rate * FADING_RATE) + 2
    sigma = fading.spread_hz / 2
    # room for the spectrum's correlation time, so the circular FFT does not wrap around
    extra = math.ceil(4 * FADING_RATE / max(sigma, 0.01))
    size = 1 << (slow + extra - 1).bit_length()
    freqs = np.fft.fftfreq(size, 1 / FADING_RATE)
    shape = np.exp(-(freqs**2) / (4 * sigma**2)) if sigma > 0 else (freqs == 0).astype(float)
    shape *= math.sqrt(size / float(np.sum(shape**2)))  # unit power: mean(|h|^2) = 1
    noise = rng.standard_normal((fading.paths, size, 2))
    white = (noise[..., 0] + 1j * noise[..., 1]) / math.sqrt(2)
    paths = np.fft.ifft(np.fft.fft(white, axis=1) * shape, axis=1)[:, :slow]
    paths /= math.sqrt(fading.paths)
    t_slow = np.arange(slow) / FADING_RATE
    t = np.arange(n) / rate
    out = np.empty((fading.paths, n), dtype=np.complex128)
    for p in range(fading.paths):
        out[p] = np.interp(t, t_slow, paths[p].real) + 1j * np.interp(t, t_slow, paths[p].imag)
    return out


@dataclass(frozen=True, eq=False)
class _Filters:
    transmitter: np.ndarray
    intermediate: np.ndarray  # the receiver's IF selectivity, on complex baseband
    audio: np.ndarray  # the receiver after the detector
    delay: int  # samples: the group delay of them all at 1 kHz


@functools.cache
def _filters(model: ChannelModel) -> _Filters:
    from scipy.signal import group_delay

    tx = np.vstack(
        [
            _sos(TX_HIGHPASS_ORDER, model.tx_highpass_hz, "highpass", SIM_RATE),
            _sos(TX_LOWPASS_ORDER, model.tx_lowpass_hz, "lowpass", SIM_RATE),
        ]
    )
    if_ = _sos(IF_ORDER, model.if_bandwidth_hz / 2, "lowpass", SIM_RATE)
    rx = [_sos(2, RX_HIGHPASS_HZ, "highpass", SIM_RATE)]
    if model.rx_corner_hz is not None:
        rx.append(_sos(RX_LOWPASS_ORDER, model.rx_corner_hz, "lowpass", SIM_RATE))
    audio = np.vstack(rx)
    delay = sum(
        float(group_delay((row[:3], row[3:]), w=[1000.0], fs=SIM_RATE)[1][0])
        for sos in (tx, if_, audio)
        for row in sos
    )
    return _Filters(tx, if_, audio, round(delay))


def receive(
    x: np.ndarray,
    rate: int,
    model: ChannelModel,
    condition: Condition,
    *,
    drive: float,
    seed: int,
) -> np.ndarray:
    """`x` (mono, at `rate`) as a receiver plays it over `model` in `condition`: audio at
    SIM_RATE in modulation units, the same duration as `x`. `drive` comes from
    `modulation_drive` over the whole programme; `seed` fixes the noise and the fading."""
    rng = np.random.default_rng(seed)
    audio = transmitter_audio(to_sim_rate(x, rate), model)
    n = len(audio)
    if n == 0:
        return np.zeros(0)
    envelope = np.clip(1.0 + drive * audio, 0.0, 1.0 + POSITIVE_PEAK)
    rf: np.ndarray = envelope.astype(np.complex128)
    fading = model.fading if condition.fading else None
    if fading is not None:
        gains = fading_gains(n, fading, rng)
        lag = round(fading.delay_ms / 1000 * SIM_RATE)
        rf = gains[0] * envelope
        for p in range(1, fading.paths):
            k = min(p * lag, n)  # path p arrives p delays late (the carrier was already on)
            late = np.concatenate([np.full(k, envelope[0]), envelope[: n - k]])
            rf = rf + gains[p] * late
    if condition.snr_db is not None:
        # white noise whose power within the IF bandwidth is the carrier's (mean power 1)
        # over the CNR: the whole band of SIM_RATE holds SIM_RATE / bandwidth times that
        power = 10 ** (-cnr_db(condition.snr_db) / 10) * SIM_RATE / model.if_bandwidth_hz
        noise = rng.standard_normal((n, 2)) * math.sqrt(power / 2)
        rf = rf + (noise[:, 0] + 1j * noise[:, 1])
    filters = _filters(model)
    detected = np.abs(_filter(filters.intermediate, rf))
    # the AGC follows the carrier (the detector's mean), lifting at most AGC_RANGE_DB
    from scipy.signal import lfilter

    a = math.exp(-1.0 / (model.agc_time_s * SIM_RATE))
    carrier = lfilter([1 - a], [1, -a], detected, zi=[a * detected[0]])[0]
    carrier = np.maximum(carrier, 10 ** (-AGC_RANGE_DB / 20))
    out = _filter(filters.audio, detected / carrier - 1.0)
    delay = min(filters.delay, n)
    return np.concatenate([out[delay:], np.zeros(delay)])

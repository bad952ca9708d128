"""Filters of the AM processing chain: designs, and stateful filters for use in processors.

- high_shelf: the presence lift, the high-shelf biquad of R. Bristow-Johnson's "Cookbook
  formulae for audio EQ biquad filter coefficients" (shelf slope S = 1); the chain uses
  its magnitude only.
- shaped_band_kernels: the multiband stage's crossover as linear-phase FIR bands (windowed
  sinc differences) that sum back to the input, with the band limit's slope and the
  presence shelf folded in as zero-phase magnitudes, and a phase rotator (dispersion).
  Linear phase matters here: an IIR crossover (Linkwitz-Riley with allpass compensation)
  sums flat in magnitude but leaves the bands' phase shifted against each other, and
  ESTOI, like a listener's ear in the lowest bands, reads that as a changed envelope.
- IIRFilter / FIRBank: state kept between blocks (overlap-save for the FIR).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

DENORMAL_GUARD = 1e-15  # see processing.BandLimiter: keeps IIR states out of subnormals


def butter_sos(order: int, hz: float, kind: str, rate: int) -> np.ndarray:
    from scipy.signal import butter  # on demand: see dsp._scipy_on_demand

    return np.asarray(butter(order, hz, kind, fs=rate, output="sos"))


def high_shelf(gain_db: float, hz: float, rate: int) -> np.ndarray:
    """RBJ cookbook high shelf, slope 1: gain_db above `hz`, half of it (in dB) at `hz`."""
    a_ = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * hz / rate
    cos_w, sin_w = math.cos(w0), math.sin(w0)
    alpha = sin_w / 2 * math.sqrt(2)  # S = 1: (A + 1/A)(1/S - 1) + 2 = 2
    sq = 2 * math.sqrt(a_) * alpha
    b = [
        a_ * ((a_ + 1) + (a_ - 1) * cos_w + sq),
        -2 * a_ * ((a_ - 1) + (a_ + 1) * cos_w),
        a_ * ((a_ + 1) + (a_ - 1) * cos_w - sq),
    ]
    a = [
        (a_ + 1) - (a_ - 1) * cos_w + sq,
        2 * ((a_ - 1) - (a_ + 1) * cos_w),
        (a_ + 1) - (a_ - 1) * cos_w - sq,
    ]
    return np.array([[*(v / a[0] for v in b), 1.0, a[1] / a[0], a[2] / a[0]]])


class IIRFilter:
    """A cascade of biquads with its state kept between blocks (float64 in and out). A
    -300 dBFS DC offset at the input keeps the states out of subnormal numbers in silence
    (see processing.BandLimiter); a low-pass passes it, inaudibly."""

    def __init__(self, sos: np.ndarray) -> None:
        self.sos = sos
        self.state = np.zeros((len(sos), 2))

    def filter(self, x: np.ndarray) -> np.ndarray:
        from scipy.signal import sosfilt

        if not len(x):
            return x
        y, self.state = sosfilt(self.sos, x + DENORMAL_GUARD, zi=self.state)
        return np.asarray(y)


FIR_TAPS = 2047  # linear-phase band filters: ~80 Hz transitions at 48 kHz, 21 ms of delay


class FIRBank:
    """Kernels of one length applied to the same signal by FFT (overlap-save), any block
    lengths; output k is the input convolved with kernel k (causal: it lags by the kernel's
    delay)."""

    def __init__(self, kernels: np.ndarray) -> None:
        self.kernels = np.atleast_2d(kernels)
        self.taps = self.kernels.shape[1]
        self.history = np.zeros(self.taps - 1)
        self._spectra: dict[int, np.ndarray] = {}

    def apply(self, x: np.ndarray) -> np.ndarray:
        """(kernels, len(x)) float64."""
        seg = np.concatenate([self.history, x])
        self.history = seg[len(x) :]
        size = 1 << (len(seg) - 1).bit_length()
        if size not in self._spectra:
            self._spectra[size] = np.fft.rfft(self.kernels, size, axis=1)
        full = np.fft.irfft(np.fft.rfft(seg, size)[None, :] * self._spectra[size], size, axis=1)
        return np.asarray(full[:, self.taps - 1 : self.taps - 1 + len(x)])


def crossover_kernels(edges_hz: Sequence[float], rate: int) -> np.ndarray:
    """Linear-phase bands between consecutive edges: band k is the difference of
    windowed-sinc low-passes at edges k+1 and k, so the bands sum to the band-pass from the
    first edge to the last, delayed by (FIR_TAPS - 1) / 2, with no phase difference between
    bands (an IIR crossover's allpass would leave one in the sum)."""
    from scipy.signal import firwin

    lows = [firwin(FIR_TAPS, f, fs=rate) for f in edges_hz]
    return np.stack([hi - lo for lo, hi in itertools.pairwise(lows)])


DISPERSION_GRID = 1 << 16  # frequency grid of the kernel design (0.7 Hz at 48 kHz)
KERNEL_MARGIN_S = 0.008  # room either side for the zero-phase shaping's impulse response


def dispersion_phase(freqs: np.ndarray, spread_s: float, top_hz: float) -> np.ndarray:
    """Phase (radians) of an allpass whose group delay rises linearly from 0 at DC to
    `spread_s` at `top_hz` and stays there: the integral of -2 pi tau(f) df."""
    ramp = np.minimum(freqs, top_hz)
    return np.asarray(
        -2 * np.pi * spread_s * (ramp**2 / (2 * top_hz) + np.maximum(freqs - top_hz, 0.0))
    )


def shaped_band_kernels(
    edges_hz: Sequence[float],
    shape_db: Callable[[np.ndarray], np.ndarray],
    spread_s: float,
    rate: int,
) -> tuple[np.ndarray, int]:
    """The crossover's bands, each also shaped by the zero-phase magnitude `shape_db(f)`
    (dB: the first-order band-limit slope and the presence shelf, without their phase) and
    by the phase rotator (dispersion_phase up to the top edge). Returns the kernels and the
    delay (samples) at which they centre the signal: the crossover's, plus half the
    rotator's spread. Linear phase throughout, but for the rotation wanted."""
    base = crossover_kernels(edges_hz, rate)
    freqs = np.fft.rfftfreq(DISPERSION_GRID, 1 / rate)
    response = 10 ** (shape_db(freqs) / 20) * np.exp(
        1j * dispersion_phase(freqs, spread_s, edges_hz[-1])
    )
    margin = round(KERNEL_MARGIN_S * rate)
    spread = round(spread_s * rate)
    # the base kernels start `margin` into the grid so the zero-phase shaping's response
    # (symmetric about each tap) has room before them
    shifted = np.zeros((len(base), DISPERSION_GRID))
    shifted[:, margin : margin + FIR_TAPS] = base
    full = np.fft.irfft(np.fft.rfft(shifted, axis=1) * response, DISPERSION_GRID, axis=1)
    length = 2 * margin + FIR_TAPS + spread
    kernels = full[:, :length]
    fade = margin // 2
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    kernels[:, :fade] *= ramp
    kernels[:, length - fade :] *= ramp[::-1]
    return kernels, margin + (FIR_TAPS - 1) // 2 + spread // 2

"""Offline Korean speech through libespeak-ng (bundled by the espeakng-loader wheel), via ctypes.

The library keeps global state (one voice, one callback), so every call holds one module
lock. Sentences are synthesized one at a time: espeak-ng drops the end of long Korean
sentences (espeak-ng#1860), and the script never gives it more than ESPEAK_MAX_CHARS.

Each sentence is spoken in a fresh child process. libespeak-ng carries state from one
utterance to the next that no API resets (wavegen.c keeps the pitch-flutter phase in a
function-static `Flutter_ix`, which survives even espeak_Initialize), so the same sentence
comes out a few samples different depending on what the process said before. Children
forked from a zygote that loaded the library but never spoke (espeak_worker.py) start from
the same state, which makes every sentence a pure function of its text and options: a render
killed half-way and rerun produces the very clips an uninterrupted render would have, and
sentences can be spoken on several cores at once. (multiprocessing's forkserver was tried
first: each of its children re-imports the parent's __main__, about 1.5 s a sentence under
the console script.)
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import EngineUnavailable, SynthesisError
from audio_pipeline.engines.base import AudioCheck, Engine, EngineAudio, Option

# espeak_ng speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_EE_OK = 0

_LOCK = threading.Lock()
_CALLBACK_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Library:
    """The loaded, initialised libespeak-ng. Created once per process, under _LOCK."""

    def __init__(self) -> None:
        import espeakng_loader

        self.data_path = Path(espeakng_loader.get_data_path())
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(self.data_path).encode(), 0
        )
        if rate <= 0:
            raise OSError(f"espeak_Initialize failed ({rate})")
        self.sample_rate = int(rate)
        self.version = (self.lib.espeak_Info(None) or b"?").decode()
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK_TYPE(self._collect)  # kept alive on the instance
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # 0 = continue

    def variants(self) -> tuple[str, ...]:
        folder = self.data_path / "voices" / "!v"
        return tuple(sorted(p.name for p in folder.iterdir())) if folder.is_dir() else ()

    def speak(self, text: str, voice: str, rate: int, pitch: int, range_: int) -> np.ndarray:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            raise SynthesisError(f"espeak-ng has no voice '{voice}'")
        self.lib.espeak_SetParameter(_RATE, rate, 0)
        self.lib.espeak_SetParameter(_PITCH, pitch, 0)
        self.lib.espeak_SetParameter(_RANGE, range_, 0)
        self.lib.espeak_SetParameter(_VOLUME, 100, 0)
        data = text.encode("utf-8") + b"\x00"
        buf = ctypes.create_string_buffer(data)
        self._chunks = []
        result = self.lib.espeak_Synth(
            buf, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self.lib.espeak_Synchronize()
        if result != _EE_OK:
            raise SynthesisError(f"espeak-ng failed to synthesize (error {result})")
        if not self._chunks:
            return np.zeros(0, dtype=np.float32)
        return (np.concatenate(self._chunks).astype(np.float32) / 32768.0).astype(np.float32)


_library: _Library | None = None
_library_error: str | None = None


def _load() -> _Library:
    global _library, _library_error
    if _library is None and _library_error is None:
        try:
            _library = _Library()
        except Exception as exc:  # ImportError, OSError from dlopen: the engine is unavailable
            _library_error = f"libespeak-ng could not be loaded: {exc}"
    if _library is None:
        raise EngineUnavailable(_library_error or "libespeak-ng could not be loaded")
    return _library


class _Zygote:
    """One espeak_worker process; one request at a time (its lock)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "audio_pipeline.engines.espeak_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def speak(
        self, text: str, voice: str, rate: int, pitch: int, range_: int
    ) -> tuple[np.ndarray, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"text": text, "voice": voice, "rate": rate, "pitch": pitch, "range": range_}
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
            head = json.loads(self.proc.stdout.readline() or b"null")
        except (OSError, ValueError) as exc:
            raise SynthesisError(f"espeak-ng worker failed: {exc}") from exc
        if not isinstance(head, dict):
            raise SynthesisError("espeak-ng worker process ended unexpectedly")
        if not head.get("ok"):
            raise SynthesisError(f"espeak-ng: {head.get('error')}")
        raw = self.proc.stdout.read(4 * int(head["frames"]))
        return np.frombuffer(raw, dtype="<f4").astype(np.float32), int(head["rate"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _Zygotes:
    """Up to one zygote per core, started on demand; each request takes a free one."""

    def __init__(self) -> None:
        self._free: queue.SimpleQueue[_Zygote] = queue.SimpleQueue()
        self._all: list[_Zygote] = []
        self._lock = threading.Lock()
        self._limit = max(1, os.cpu_count() or 1)

    def _take(self) -> _Zygote:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._all) < self._limit:
                zygote = _Zygote()
                self._all.append(zygote)
                return zygote
        return self._free.get()

    def speak(
        self, text: str, voice: str, rate: int, pitch: int, range_: int = 50
    ) -> tuple[np.ndarray, int]:
        zygote = self._take()
        healthy = True
        try:
            return zygote.speak(text, voice, rate, pitch, range_)
        except SynthesisError:
            healthy = zygote.proc.poll() is None
            raise
        finally:
            if healthy:
                self._free.put(zygote)
            else:
                with self._lock:
                    self._all.remove(zygote)

    def close(self) -> None:
        with self._lock:
            for zygote in self._all:
                zygote.close()
            self._all.clear()
            self._free = queue.SimpleQueue()


_zygotes = _Zygotes()
atexit.register(_zygotes.close)


class EspeakEngine(Engine):
    name = "espeak"
    network = False
    max_chars = defaults.ESPEAK_MAX_CHARS
    options = (
        Option("voice", str, "ko", "espeak-ng language voice"),
        Option("variant", str, "", "voice variant from espeak-ng-data/voices/!v (e.g. f2, m3)"),
        Option("rate", int, 150, "words per minute", 80, 450),
        Option("pitch", int, 50, "base pitch", 0, 99),
        # espeakRANGE in speak_lib.h: 0 is a monotone, 50 espeak's normal, 100 its widest
        Option("range", int, 50, "pitch range (intonation)", 0, 100),
    )

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = super().check_options(options)
        variant = options.get("variant")
        if isinstance(variant, str) and variant:
            try:
                with _LOCK:
                    known = _load().variants()
            except EngineUnavailable:
                known = ()
            if known and variant not in known:
                problems.append(
                    (
                        "variant",
                        f"'{variant}' is not an espeak-ng variant; allowed: {', '.join(known)}",
                    )
                )
        return problems

    def version(self) -> str:
        with _LOCK:
            lib = _load()
        import espeakng_loader

        loader = getattr(espeakng_loader, "__version__", "")
        # the release added to every sentence's end (release_tail) is part of what it says
        version = f"espeak-ng-{lib.version}" + (f"+loader-{loader}" if loader else "")
        return version + "+release"

    def probe(self) -> str | None:
        try:
            with _LOCK:
                lib = _load()
                if lib.lib.espeak_SetVoiceByName(b"ko") != _EE_OK:
                    return "espeak-ng has no Korean voice in its data"
        except EngineUnavailable as exc:
            return str(exc)
        return None

    def synthesize(
        self, text: str, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        # `check` is left to the caller: espeak says the same thing every time, so asking
        # again after a rejected answer would only get the same answer
        opts = self.resolved_options(options)
        voice = opts["voice"] + (f"+{opts['variant']}" if opts["variant"] else "")
        reason = self.probe()
        if reason:
            raise EngineUnavailable(reason)
        samples, rate = _zygotes.speak(
            text, voice, int(opts["rate"]), int(opts["pitch"]), int(opts["range"])
        )
        if samples.size == 0:
            raise SynthesisError(f"espeak-ng produced no audio for: {text[:40]}")
        return EngineAudio(release_tail(samples, rate), rate, requests=1)


RELEASE_S = 0.08  # how long the last vowel takes to die away (to -40 dB)


def release_tail(x: np.ndarray, rate: int) -> np.ndarray:
    """Let the last vowel of an utterance die away instead of stopping dead.

    espeak-ng speaks every syllable of a Korean sentence (its last word lasts as long as the
    same word mid-sentence, and no text is dropped from short sentences: espeak-ng#1860 is
    about long ones, which the script never sends), but it ends the final vowel in the middle
    of its waveform at full level: the last 10 ms are within a dB of the sentence's RMS,
    where a speaker's voice decays (and espeak's own word ends mid-sentence fall ~10 dB).
    The vowel is continued here by repeating its last pitch period, fading exponentially to
    -40 dB over RELEASE_S: the periodic extension joins without a step, and nothing the
    engine said is cut. Deterministic: a function of the samples alone.
    """
    sounding = np.flatnonzero(np.abs(x) > 1e-4)
    if sounding.size == 0:
        return x
    end = int(sounding[-1]) + 1
    window = x[max(0, end - int(0.04 * rate)) : end].astype(np.float64)
    lo, hi = int(rate / 400), int(rate / 60)  # a voice's pitch period: 2.5 to 16.7 ms
    if len(window) < 2 * hi:
        return x
    window = window - window.mean()
    corr = np.correlate(window, window, "full")[len(window) - 1 :]
    period = lo + int(np.argmax(corr[lo:hi]))
    if corr[0] <= 0 or corr[period] < 0.3 * corr[0]:
        return x  # not voiced at the end (a consonant, noise): nothing to sustain
    n = int(RELEASE_S * rate)
    cycle = x[end - period : end]
    tail = np.tile(cycle, n // period + 1)[:n]
    gain = np.exp(-np.arange(n) / (n / np.log(100.0)))  # -40 dB at RELEASE_S
    return np.concatenate([x[:end], (tail * gain).astype(np.float32), x[end:]])


ENGINE = EspeakEngine

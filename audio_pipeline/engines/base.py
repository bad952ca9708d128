"""The one small interface every TTS engine implements, and its option checking."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import SynthesisError


@dataclass(frozen=True)
class NetworkSettings:
    """The rules every network engine keeps with its service for one run."""

    connect_timeout_s: float = defaults.TTS_CONNECT_TIMEOUT_S
    read_timeout_s: float = defaults.TTS_READ_TIMEOUT_S
    attempt_timeout_s: float = defaults.TTS_ATTEMPT_TIMEOUT_S
    max_attempts: int = defaults.TTS_MAX_ATTEMPTS
    backoff_base_s: float = defaults.TTS_BACKOFF_BASE_S
    backoff_max_s: float = defaults.TTS_BACKOFF_MAX_S
    retry_after_max_s: float = defaults.TTS_RETRY_AFTER_MAX_S
    unavailable_after: int = defaults.TTS_UNAVAILABLE_AFTER
    failed_sentences_limit: int = defaults.TTS_FAILED_SENTENCES_LIMIT
    give_up_after_s: float = defaults.TTS_GIVE_UP_AFTER_S
    requests_per_minute: float = defaults.TTS_REQUESTS_PER_MINUTE


@dataclass(frozen=True)
class EngineSettings:
    """What every engine is built from, for one run (the registry builds them all alike)."""

    network: NetworkSettings = field(default_factory=NetworkSettings)
    # where credentials are read from when an engine is built; None is the process's own
    # environment (tests hand in a mapping of their own)
    environ: Mapping[str, str] | None = None

    def env(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ


@dataclass(frozen=True)
class EngineAudio:
    """What an engine returns for one sentence: mono float32 at the engine's own rate."""

    samples: np.ndarray
    sample_rate: int
    requests: int = 1  # network requests it took (retries included)


@dataclass(frozen=True)
class RemoteVoice:
    """One voice a service offers, as its voice list names it."""

    name: str
    gender: str
    kind: str  # Neural, WaveNet, Neural2, Standard, Chirp3-HD, ...
    locale: str


# One request's worth of speech: (sentence, pause after it in seconds). The pause after the
# last part is the caller's to add; an engine that speaks several parts in one request puts
# the pauses between them in the request itself (SSML <break>).
Passage = Sequence[tuple[str, float]]


# Judges one decoded answer (mono float32 samples, their rate): raises SynthesisError when the
# audio is silent or implausible for its text. A network engine retries an answer it rejects.
AudioCheck = Callable[[np.ndarray, int], None]


@dataclass(frozen=True)
class Option:
    """One engine option a voice profile may set."""

    name: str
    kind: type  # str, bool, int or float
    default: Any
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None

    def check(self, value: Any) -> str | None:
        """None when `value` is acceptable, else what is wrong and what is allowed."""
        if self.kind is bool:
            return None if isinstance(value, bool) else "expected true or false"
        if self.kind in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"expected a number from {self.lo:g} to {self.hi:g}"
            if self.kind is int and not isinstance(value, int):
                return f"expected a whole number from {self.lo:g} to {self.hi:g}"
            if self.lo is not None and self.hi is not None and not self.lo <= value <= self.hi:
                return f"{value} is out of range; allowed: {self.lo:g} to {self.hi:g}"
            return None
        if not isinstance(value, str) or not value.strip():
            return "expected text"
        if self.choices is not None and value not in self.choices:
            return f"'{value}' is not allowed; allowed: {', '.join(self.choices)}"
        return None


class Engine(ABC):
    """A speech engine. One instance lives for one run, so run state (an engine found to be
    unreachable) is kept on the instance and forgotten by the next run."""

    name: ClassVar[str]
    network: ClassVar[bool]  # True when text leaves the machine
    max_chars: ClassVar[int]  # longest text sent in one synthesis call
    options: ClassVar[tuple[Option, ...]]
    # environment variables the engine needs, named as the service's own docs name them
    credentials: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self.unavailable_reason: str | None = None

    @abstractmethod
    def version(self) -> str:
        """Engine and data version: part of every cache key."""

    @abstractmethod
    def probe(self) -> str | None:
        """A quick check (seconds at most) that the engine can work now: None, or why not."""

    @abstractmethod
    def synthesize(
        self, text: str, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        """Speak one sentence. Raises SynthesisError, or EngineUnavailable for the run.

        `check`, when given, judges the audio; an engine whose answers vary (the network)
        asks again when it raises, a deterministic one may leave it to the caller.
        """

    def fits_one_request(self, passage: Passage, options: Mapping[str, Any]) -> bool:
        """Whether these sentences may go to the engine in one request. An engine that
        speaks one sentence a call says yes to one sentence only."""
        return len(passage) == 1

    def synthesize_passage(
        self, passage: Passage, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        """Speak sentences that fit one request (fits_one_request), with the pauses between
        them. An engine without passages speaks the one sentence it accepts."""
        if len(passage) != 1:
            raise ValueError(f"engine {self.name} speaks one sentence a request")
        return self.synthesize(passage[0][0], options, check)

    def missing_credentials(self) -> tuple[str, ...]:
        """The environment variables the engine needs and did not find when it was built."""
        env = self.settings.env()
        return tuple(name for name in self.credentials if not env.get(name, "").strip())

    def take_usage(self) -> tuple[int, int]:
        """(billed characters, requests) since the last call, and reset. Engines without a
        bill count nothing."""
        return (0, 0)

    def remote_voices(self, locale: str) -> list[RemoteVoice]:
        """The voices the service offers for `locale`, from its voice list."""
        raise SynthesisError(f"engine {self.name} has no voice list to ask")

    def resolved_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Options with defaults filled in: what the cache key and the engine see."""
        return {o.name: options.get(o.name, o.default) for o in self.options}

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(option, problem) pairs for a voice profile's options."""
        known = {o.name: o for o in cls.options}
        problems = []
        for key, value in options.items():
            option = known.get(key)
            if option is None:
                allowed = ", ".join(sorted(known)) or "none"
                problems.append(
                    (str(key), f"unknown option for engine {cls.name}; allowed: {allowed}")
                )
                continue
            error = option.check(value)
            if error:
                problems.append((key, error))
        return problems

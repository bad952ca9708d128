"""The interface every engine implements (base.py): option checking with the one line a
producer reads, defaults filled in, one sentence a request unless an engine says more,
credentials read from the run's environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from audio_pipeline.core.errors import SynthesisError
from audio_pipeline.engines.base import (
    AudioCheck,
    Engine,
    EngineAudio,
    EngineSettings,
    Option,
)

RATE = Option("rate", int, 150, "words per minute", 80, 450)
SPEED = Option("speed", float, 1.0, "speaking rate", 0.25, 4.0)
SLOW = Option("slow", bool, False, "slow reading")
VOICE = Option("voice", str, "ko", "voice name")
FORMAT = Option("format", str, "a", "output format", choices=("a", "b"))


class Recorder(Engine):
    """An engine that records what it was asked to speak."""

    name = "recorder"
    network = False
    max_chars = 100
    options = (RATE, VOICE, FORMAT)
    credentials = ("REC_KEY", "REC_REGION")

    def __init__(self, settings: EngineSettings | None = None) -> None:
        super().__init__(settings)
        self.spoken: list[tuple[str, Mapping[str, Any], AudioCheck | None]] = []

    def version(self) -> str:
        return "recorder-1"

    def probe(self) -> str | None:
        return None

    def synthesize(
        self, text: str, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        self.spoken.append((text, options, check))
        return EngineAudio(np.zeros(10, dtype=np.float32), 16_000)


class Bare(Recorder):
    name = "bare"
    options = ()


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        (RATE, 150, None),
        (RATE, 80, None),  # the bounds are allowed
        (RATE, 450, None),
        (RATE, 79, "79 is out of range; allowed: 80 to 450"),
        (RATE, 150.5, "expected a whole number from 80 to 450"),
        (RATE, True, "expected a number from 80 to 450"),  # a bool is not a number here
        (RATE, "fast", "expected a number from 80 to 450"),
        (SPEED, 2, None),  # a whole number is a number
        (SPEED, 0.2, "0.2 is out of range; allowed: 0.25 to 4"),
        (SLOW, True, None),
        (SLOW, 1, "expected true or false"),
        (SLOW, "yes", "expected true or false"),
        (VOICE, "ko+f2", None),
        (VOICE, "  ", "expected text"),
        (VOICE, 7, "expected text"),
        (FORMAT, "b", None),
        (FORMAT, "c", "'c' is not allowed; allowed: a, b"),
    ],
)
def test_each_option_says_what_is_wrong_and_what_is_allowed(
    option: Option, value: object, problem: str | None
) -> None:
    assert option.check(value) == problem


def test_a_voice_profiles_options_are_checked_all_at_once() -> None:
    problems = Recorder.check_options({"rate": 500, "speed": 1.1, "voice": "", "format": "a"})
    assert problems == [
        ("rate", "500 is out of range; allowed: 80 to 450"),
        ("speed", "unknown option for engine recorder; allowed: format, rate, voice"),
        ("voice", "expected text"),
    ]
    assert Bare.check_options({"rate": 1}) == [
        ("rate", "unknown option for engine bare; allowed: none")
    ]
    assert Recorder.check_options({}) == []


def test_resolved_options_fill_the_defaults_and_only_the_engines_options() -> None:
    engine = Recorder()
    assert engine.resolved_options({"rate": 200, "other": 1}) == {
        "rate": 200,
        "voice": "ko",
        "format": "a",
    }


def test_an_engine_without_passages_speaks_one_sentence_a_request() -> None:
    engine = Recorder()
    assert engine.fits_one_request([("하나.", 0.0)], {})
    assert not engine.fits_one_request([("하나.", 0.5), ("둘.", 0.0)], {})

    def check(samples: np.ndarray, rate: int) -> None:
        return None

    audio = engine.synthesize_passage([("하나.", 0.7)], {"rate": 90}, check)
    assert engine.spoken == [("하나.", {"rate": 90}, check)] and audio.sample_rate == 16_000
    with pytest.raises(ValueError, match=r"^engine recorder speaks one sentence a request$"):
        engine.synthesize_passage([("하나.", 0.5), ("둘.", 0.0)], {})
    assert len(engine.spoken) == 1


def test_missing_credentials_are_read_from_the_runs_environment() -> None:
    env = {"REC_KEY": "k3y", "REC_REGION": "   "}  # blank is as good as missing
    assert Recorder(EngineSettings(environ=env)).missing_credentials() == ("REC_REGION",)
    full = {"REC_KEY": "k3y", "REC_REGION": "koreacentral"}
    assert Recorder(EngineSettings(environ=full)).missing_credentials() == ()
    assert Recorder(EngineSettings(environ={})).missing_credentials() == ("REC_KEY", "REC_REGION")


def test_without_a_mapping_the_environment_is_the_processes_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REC_KEY", "from-the-process")
    monkeypatch.delenv("REC_REGION", raising=False)
    settings = EngineSettings()
    assert settings.env() is os.environ
    assert Recorder(settings).missing_credentials() == ("REC_REGION",)
    assert EngineSettings(environ={"A": "1"}).env() == {"A": "1"}


def test_an_engine_without_a_bill_or_a_voice_list_says_so() -> None:
    engine = Recorder()
    assert engine.take_usage() == (0, 0)
    assert engine.unavailable_reason is None
    with pytest.raises(SynthesisError, match=r"^engine recorder has no voice list to ask$"):
        engine.remote_voices("ko-KR")

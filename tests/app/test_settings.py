"""How a run is set up (app/settings.py): the defaults the README promises, settings that
no worker can change mid-run, and the Reporter every surface implements."""

from __future__ import annotations

import dataclasses
import inspect
import re

import pytest

from audio_pipeline.app.settings import QuietReporter, RenderSettings, Reporter
from audio_pipeline.cli.progress import ConsoleReporter
from audio_pipeline.studio.renders import EventReporter
from tests.conftest import REPO


def test_the_defaults_are_the_readme_s() -> None:
    readme = " ".join((REPO / "README.md").read_text("utf-8").split())
    concurrency = re.search(r"`--concurrency` \(1-16, default (\d+)\)", readme)
    per_minute = re.search(r"`--requests-per-minute` \(default (\d+),", readme)
    assert concurrency and per_minute
    settings = RenderSettings()
    assert settings.concurrency == int(concurrency.group(1))
    assert settings.engines.network.requests_per_minute == int(per_minute.group(1))
    # a fallback voice is a loud warning unless --strict; every published render is recorded
    assert (settings.strict, settings.ledger) == (False, True)


def test_settings_are_fixed_once_a_run_starts() -> None:
    settings = RenderSettings(concurrency=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.concurrency = 8  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.engines.network.requests_per_minute = 0  # type: ignore[misc]


@pytest.mark.parametrize("reporter", [QuietReporter, ConsoleReporter, EventReporter])
def test_every_reporter_answers_what_a_run_tells(reporter: type) -> None:
    for name in ("stage", "clip_done", "warn"):
        wanted = inspect.signature(getattr(Reporter, name))
        got = inspect.signature(getattr(reporter, name))
        assert list(got.parameters) == list(wanted.parameters), (reporter, name)
        defaults = [p.default for p in got.parameters.values()]
        assert defaults == [p.default for p in wanted.parameters.values()], (reporter, name)


def test_the_quiet_reporter_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    quiet = QuietReporter()
    quiet.stage("synthesizing", total=3)
    quiet.warn("FALLBACK to voice 'ko-offline'")
    assert capsys.readouterr() == ("", "")

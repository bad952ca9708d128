"""Stand-ins the tests hand to the product where a real one would make a test slow or
uncertain: a clock whose sleeps move it on, and a reporter that keeps what it is told."""

from __future__ import annotations

from audio_pipeline.core.results import Clip


class Clock:
    """Fake time: sleeping moves it on, and every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Recorder:
    """A Reporter that keeps the warnings it is told."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def clip_done(self, clip: Clip) -> None:
        pass

    def warn(self, message: str) -> None:
        self.warnings.append(message)

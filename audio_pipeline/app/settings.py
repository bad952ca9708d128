"""How a run is set up and how it tells its progress: shared by render, batch and preview."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from audio_pipeline.core import defaults
from audio_pipeline.core.results import Clip
from audio_pipeline.engines.base import EngineSettings


@dataclass(frozen=True)
class RenderSettings:
    strict: bool = False  # fail instead of speaking with the fallback voice
    # clip workers: espeak speaks in one forked child per core, network engines' requests
    # run in parallel up to this many
    concurrency: int = defaults.RENDER_CONCURRENCY
    engines: EngineSettings = field(default_factory=EngineSettings)
    ledger: bool = True  # record the published render in the broadcast ledger


class Reporter(Protocol):
    """What a run tells its user while it runs (the CLI draws it; tests record it)."""

    def stage(self, name: str, total: int | None = None) -> None: ...
    def clip_done(self, clip: Clip) -> None: ...
    def warn(self, message: str) -> None: ...


class QuietReporter:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def clip_done(self, clip: Clip) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

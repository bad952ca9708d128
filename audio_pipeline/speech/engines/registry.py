"""Engine registry: engines by name (beets keeps its backends the same way)."""

from __future__ import annotations

import threading

from audio_pipeline.speech.engines.base import Engine, EngineAudio, Option
from audio_pipeline.speech.engines.espeak_engine import EspeakEngine
from audio_pipeline.speech.engines.gtts_engine import GttsEngine, GttsSettings

ENGINES: dict[str, type[Engine]] = {cls.name: cls for cls in (GttsEngine, EspeakEngine)}


class EngineSet:
    """One instance of each engine for the length of one run, made on first use."""

    def __init__(self, gtts_settings: GttsSettings | None = None) -> None:
        self._gtts_settings = gtts_settings
        self._instances: dict[str, Engine] = {}
        # clip workers ask for their engine at the same moment: without the lock each could
        # make its own, and the rate cap and give-up state meant for the run were per worker
        self._lock = threading.Lock()

    def get(self, name: str) -> Engine:
        with self._lock:
            if name not in self._instances:
                cls = ENGINES[name]
                if cls is GttsEngine:
                    self._instances[name] = GttsEngine(self._gtts_settings)
                else:
                    self._instances[name] = cls()
            return self._instances[name]


__all__ = ["ENGINES", "Engine", "EngineAudio", "EngineSet", "GttsSettings", "Option"]

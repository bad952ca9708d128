"""The engine registry: every engine by its name, all built the same way.

Each module of this package named `*_engine.py` defines one Engine subclass and names it
`ENGINE`; the registry finds them, so adding an engine is adding one module (beets keeps its
backends in a name table the same way, `BACKENDS = {b.NAME: b for b in ...}`). No engine is
named here, and every one is built from the run's EngineSettings alone.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading

from audio_pipeline import engines as _package
from audio_pipeline.core.models import VoiceProfile
from audio_pipeline.engines.base import Engine, EngineSettings


def _discover() -> dict[str, type[Engine]]:
    found: dict[str, type[Engine]] = {}
    for info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda i: i.name):
        if not info.name.endswith("_engine"):
            continue
        module = importlib.import_module(f"{_package.__name__}.{info.name}")
        cls = getattr(module, "ENGINE", None)
        if not (isinstance(cls, type) and issubclass(cls, Engine)):
            raise TypeError(f"{module.__name__} defines no ENGINE (an Engine subclass)")
        if cls.name in found:
            raise TypeError(f"two engine modules are named '{cls.name}'")
        found[cls.name] = cls
    return found


ENGINES: dict[str, type[Engine]] = _discover()


class EngineSet:
    """One instance of each engine for the length of one run, made on first use, so the
    run's state (a rate cap, a service given up) is shared by every clip worker."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self._instances: dict[str, Engine] = {}
        # clip workers ask for their engine at the same moment: without the lock each could
        # make its own, and the rate cap and give-up state meant for the run were per worker
        self._lock = threading.Lock()

    def get(self, name: str) -> Engine:
        with self._lock:
            if name not in self._instances:
                self._instances[name] = ENGINES[name](self.settings)
            return self._instances[name]

    def for_voice(self, voice: VoiceProfile) -> Engine:
        return self.get(voice.engine)

    def built(self) -> list[Engine]:
        """The engines this run has made so far (what a usage flush reads)."""
        with self._lock:
            return list(self._instances.values())

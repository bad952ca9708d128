"""The engine registry: engines found by module, every one built the same way."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from audio_pipeline import engines as package
from audio_pipeline.engines import registry
from audio_pipeline.engines.base import Engine, EngineSettings, NetworkSettings
from audio_pipeline.engines.registry import ENGINES, EngineSet


def test_every_engine_module_is_found_and_built_from_the_run_settings() -> None:
    modules = sorted(p.stem for p in Path(package.__path__[0]).glob("*_engine.py"))
    assert len(ENGINES) == len(modules) and {"espeak", "gtts"} <= set(ENGINES)
    settings = EngineSettings(NetworkSettings(requests_per_minute=7))
    engines = EngineSet(settings)
    for name, cls in ENGINES.items():
        engine = engines.get(name)
        assert isinstance(engine, cls) and engine.name == name
        assert engine.settings is settings  # one way to build them all
        assert engines.get(name) is engine  # one instance a run


def _discover_with(tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> object:
    (tmp_path / "extra_engine.py").write_text(source, "utf-8")
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, f"{package.__name__}.extra_engine", raising=False)
    try:
        return registry._discover()
    finally:
        sys.modules.pop(f"{package.__name__}.extra_engine", None)


def test_adding_an_engine_is_adding_one_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "from audio_pipeline.engines.espeak_engine import EspeakEngine\n"
        "class Extra(EspeakEngine):\n    name = 'extra'\nENGINE = Extra\n"
    )
    found = _discover_with(tmp_path, source, monkeypatch)
    assert isinstance(found, dict) and issubclass(found["extra"], Engine)


def test_an_engine_module_without_an_engine_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(TypeError, match="defines no ENGINE"):
        _discover_with(tmp_path, "X = 1\n", monkeypatch)


def test_two_engine_modules_with_one_name_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "from audio_pipeline.engines.espeak_engine import EspeakEngine\n"
        "class Twin(EspeakEngine):\n    pass\nENGINE = Twin\n"  # still named 'espeak'
    )
    with pytest.raises(TypeError, match=r"^two engine modules are named 'espeak'$"):
        _discover_with(tmp_path, source, monkeypatch)


def test_workers_asking_at_the_same_moment_share_one_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run's rate cap and give-up state live on its one instance: eight clip workers asking
    at once, for an engine slow to build, still get the same one."""
    import threading
    import time

    from audio_pipeline.engines.espeak_engine import EspeakEngine

    made: list[Engine] = []

    class Slow(EspeakEngine):
        name = "slow"

        def __init__(self, settings: EngineSettings | None = None) -> None:
            time.sleep(0.05)
            super().__init__(settings)
            made.append(self)

    monkeypatch.setitem(ENGINES, "slow", Slow)
    engines = EngineSet()
    start = threading.Barrier(8)
    got: list[Engine] = []

    def worker() -> None:
        start.wait()
        got.append(engines.get("slow"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and got == made * 8
    assert engines.built() == made


def test_a_voice_gets_the_engine_it_names(project: object) -> None:
    from audio_pipeline.core.project import Project
    from audio_pipeline.inputs.voices import load_voices

    assert isinstance(project, Project)
    voices, problems = load_voices(project)
    assert problems == []
    engines = EngineSet()
    assert engines.built() == []
    for voice in voices.values():
        assert engines.for_voice(voice) is engines.get(voice.engine)
        assert engines.for_voice(voice).name == voice.engine
    assert sorted(e.name for e in engines.built()) == sorted({v.engine for v in voices.values()})

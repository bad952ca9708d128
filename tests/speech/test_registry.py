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

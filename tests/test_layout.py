"""The house rules of the package, checked on its source: imports run only down the flow
(README: The flow), no module grows past the size one reader holds, and every module has a
test file of its own, in the tests folder of its room."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "audio_pipeline"

# bottom to top: a room imports only rooms before it in this list (and itself)
ROOMS = (
    "text",
    "core",
    "audio",
    "engines",
    "inputs",
    "speech",
    "programme",
    "delivery",
    "metadata",
    "publish",
    "app",
    "studio",
    "cli",
)
MAX_LINES = 420  # "no module over ~400 lines"


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def room_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "."


def imported_rooms(path: Path) -> set[tuple[str, int]]:
    """The rooms a module imports from, with the line of each import."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "audio_pipeline":
                names = [f"audio_pipeline.{a.name}" for a in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "audio_pipeline" and len(parts) > 1 and parts[1] in ROOMS:
                found.add((parts[1], node.lineno))
    return found


def test_every_room_is_ranked() -> None:
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert rooms == set(ROOMS)


def test_imports_run_only_down_the_flow() -> None:
    upward = []
    for path in modules():
        room = room_of(path)
        if room == ".":
            continue  # the package's own __init__ and __main__ (python -m audio_pipeline)
        rank = ROOMS.index(room)
        for other, line in sorted(imported_rooms(path)):
            if ROOMS.index(other) > rank:
                upward.append(f"{path.relative_to(REPO)}:{line}: {room}/ imports {other}/")
    assert upward == []


def test_only_the_cli_reaches_the_studio_and_only_the_edges_reach_app() -> None:
    wrong = []
    for path in modules():
        room = room_of(path)
        for other, line in imported_rooms(path):
            if other == "studio" and room not in ("studio", "cli"):
                wrong.append(f"{path.relative_to(REPO)}:{line}: imports studio/")
            if other == "app" and room not in ("app", "studio", "cli"):
                wrong.append(f"{path.relative_to(REPO)}:{line}: imports app/")
    assert wrong == []


def test_no_module_outgrows_one_reading() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in modules()
        if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_has_its_own_tests(path: Path) -> None:
    rel = path.relative_to(PACKAGE)
    if rel.name in ("__init__.py", "__main__.py"):
        pytest.skip("package markers and the `python -m` entry hold no behaviour of their own")
    expected = REPO / "tests" / rel.parent / f"test_{rel.stem}.py"
    assert expected.is_file(), f"{rel} has no {expected.relative_to(REPO)}"
    assert "def test_" in expected.read_text("utf-8")

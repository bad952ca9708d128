"""Shared fixtures: throwaway projects built from the repository's own samples, audio makers.

Nothing here touches the network: gTTS is only ever reached through `responses` fakes.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import yaml

from audio_pipeline.app.render import render_episode
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.audio import ffmpeg
from audio_pipeline.core.project import Project
from tests.standins import standin  # noqa: F401  (the neural services' stand-ins)

REPO = Path(__file__).resolve().parent.parent
SR = 48_000


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AUDIO_PIPELINE_PROJECT",
        "AUDIO_PIPELINE_CACHE",
        "AUDIO_PIPELINE_LEDGER",
        "HTTPS_PROXY",
        "https_proxy",
        # a developer's own keys must never send test text to a real service
        "SPEECH_KEY",
        "SPEECH_REGION",
        "GOOGLE_API_KEY",
        "REQUESTS_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)


def make_project(root: Path) -> Project:
    """A copy of the repository's voices/ and input/ in `root`, with its own cache."""
    shutil.copytree(REPO / "voices", root / "voices")
    shutil.copytree(REPO / "input", root / "input")
    return Project.at(root, cache_dir=root / "cache")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "proj")


def write_yaml(path: Path, data: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def sine(freq: float, seconds: float, peak_dbfs: float, rate: int = SR) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (10 ** (peak_dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def mp3_bytes(samples: np.ndarray, rate: int = 24_000) -> bytes:
    """A real MP3 (made by the bundled ffmpeg), as gTTS would receive from Google."""
    cmd = [ffmpeg.ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "f32le", "-ar", str(SR)]
    cmd += ["-ac", "1", "-i", "pipe:0", "-ar", str(rate), "-c:a", "libmp3lame", "-b:a", "32k"]
    cmd += ["-f", "mp3", "pipe:1"]
    proc = subprocess.run(
        cmd, input=samples.astype("<f4").tobytes(), capture_output=True, check=True
    )
    return proc.stdout


def sent_text(body: str) -> str:
    """The text gTTS put in one batchexecute request body (f.req=<quoted JSON>&)."""
    raw = urllib.parse.unquote(body.removeprefix("f.req=").rstrip("&"))
    return str(json.loads(json.loads(raw)[0][0][1])[0])


def batchexecute_body(audio: bytes) -> str:
    """The answer gTTS parses: `)]}'` then the wrb.fr line with the base64 MP3 (compact JSON)."""
    payload = json.dumps([base64.b64encode(audio).decode("ascii")], separators=(",", ":"))
    line = json.dumps(
        [["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]], separators=(",", ":")
    )
    return ")]}'\n\n" + line + "\n"


@pytest.fixture(scope="session")
def speechlike_mp3() -> bytes:
    """1.5 s of a voiced, syllable-rate modulated tone as MP3: plausible for a short sentence."""
    t = np.arange(round(1.5 * SR)) / SR
    carrier = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((180, 360, 540, 720), 1))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    return mp3_bytes((0.2 * carrier * envelope).astype(np.float32))


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    """The sample episode rendered once (offline voice) for the tests that inspect outputs."""
    project = make_project(tmp_path_factory.mktemp("rendered") / "proj")
    report = render_episode(
        project, project.root / "input/episodes/2026-w47.yaml", RenderSettings(concurrency=1)
    )
    assert report.output_dir is not None
    return project, report.output_dir


@pytest.fixture
def warm_project(
    project: Project, rendered: tuple[Project, Path], monkeypatch: pytest.MonkeyPatch
) -> Project:
    """The shared set-up of most tests: a fresh copy of the sample project as the working
    directory, sharing the session's warm clip cache (through AUDIO_PIPELINE_CACHE too, so
    the CLI finds it). The cache is safe to share: entries are content-addressed."""
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(rendered[0].cache_dir))
    return Project.at(project.root, cache_dir=rendered[0].cache_dir)


def ffmpeg_ebur128(path: Path) -> dict[str, float]:
    """An independent meter: ffmpeg's ebur128 filter with true peak. Returns I, LRA, TP."""
    cmd = [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats", "-i", str(path)]
    cmd += ["-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    summary = text[text.rindex("Summary:") :]
    number = r"(-?[0-9.]+|-inf)"
    found = {
        "I": re.search(rf"I:\s+{number} LUFS", summary),
        "LRA": re.search(rf"LRA:\s+{number} LU", summary),
        "TP": re.search(rf"True peak:\s+Peak:\s+{number}", summary),
    }
    return {key: float(m.group(1)) for key, m in found.items() if m}

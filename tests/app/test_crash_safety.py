"""Crashes and concurrency with real `python -m audio_pipeline render` processes.

SIGKILL at several moments of a render (synthesis, normalizing, mastering, publishing):
output/<episode> is absent or a complete earlier render, never a mix; stale staging lives
only in dot-folders and is gone after the next render; every cache entry verifies; the
next render is byte-identical to an uninterrupted one. Renders in different folders, at
different times, are byte-identical and carry no machine path or wall-clock date. A second
render of an episode that is being rendered exits 1 with one clear line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from audio_pipeline.audio import wavfile
from audio_pipeline.core.project import Project
from audio_pipeline.speech.cache import ClipCache
from tests.conftest import REPO, make_project
from tests.episodes import add_messages, write_episode

EPISODE = "crash"
EPISODE_DATE = "2030-01-06"  # not today: a date in the files must come from the episode


def env_for(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(AUDIO_PIPELINE_CACHE=str(cache), PYTHONPATH=str(REPO))
    env.pop("AUDIO_PIPELINE_PROJECT", None)
    return env


def render_cmd() -> list[str]:
    return [sys.executable, "-m", "audio_pipeline", "render", f"input/episodes/{EPISODE}.yaml"]


def render(root: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        render_cmd(), cwd=root, env=env_for(cache), capture_output=True, text=True, timeout=300
    )


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def set_messages(root: Path, ids: list[str]) -> None:
    write_episode(Project.at(root), EPISODE, ids)
    path = root / "input" / "episodes" / f"{EPISODE}.yaml"
    path.write_text(
        path.read_text("utf-8").replace("date: '2026-11-22'", f"date: '{EPISODE_DATE}'"), "utf-8"
    )
    assert EPISODE_DATE in path.read_text("utf-8")


class Template:
    """A project whose output/ holds an earlier render ('old', two messages) and whose cache
    holds those clips; the episode now wants three messages ('new'), rendered once
    uninterrupted elsewhere for reference."""

    def __init__(self, base: Path) -> None:
        self.root = base / "template"
        self.cache = base / "template-cache"
        project = make_project(self.root)
        self.ids = add_messages(project, 3, sentences_each=2)
        set_messages(self.root, self.ids[:2])
        done = render(self.root, self.cache)
        assert done.returncode == 0, done.stderr
        self.old = digests(self.root / "output" / EPISODE)
        reference = self.copy(base / "reference")
        done = render(reference.root, reference.cache)
        assert done.returncode == 0, done.stderr
        self.reference_dir = reference.root / "output" / EPISODE
        self.new = digests(self.reference_dir)
        assert self.new != self.old

    def copy(self, dest: Path) -> Copy:
        shutil.copytree(self.root, dest / "proj")
        shutil.copytree(self.cache, dest / "cache")
        set_messages(dest / "proj", self.ids)
        return Copy(dest / "proj", dest / "cache")


class Copy:
    def __init__(self, root: Path, cache: Path) -> None:
        self.root = root
        self.cache = cache


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return Template(tmp_path_factory.mktemp("crash"))


class Watched:
    """A render whose stderr is read line by line, so a test can act at a stage."""

    def __init__(self, root: Path, cache: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [*render_cmd(), *extra],
            cwd=root,
            env=env_for(cache),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its ffmpeg and espeak helpers can be ended with it
        )
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for(self, marker: str, timeout: float = 120.0) -> None:
        end = time.monotonic() + timeout
        with self._seen:
            while not any(marker in line for line in self.lines):
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"never saw {marker!r}: {self.lines}")
                self._seen.wait(min(left, 0.05))

    def finish(self, timeout: float = 300.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(10)
        return code

    def end_helpers(self) -> None:
        """The killed render's ffmpeg encoders and espeak workers end by themselves when
        their pipes close; end any straggler of this render's own session."""
        time.sleep(0.3)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("marker", "delay"),
    [
        ("synthesizing", 0.1),
        ("normalizing", 0.05),
        ("mastering", 0.3),
        ("publishing", 0.0),
    ],
)
def test_sigkill_at_any_stage_never_leaves_a_partial_deliverable(
    template: Template, tmp_path: Path, marker: str, delay: float
) -> None:
    copy = template.copy(tmp_path)
    out = copy.root / "output"
    render_ = Watched(copy.root, copy.cache)
    render_.wait_for(marker)
    time.sleep(delay)
    render_.proc.send_signal(signal.SIGKILL)
    code = render_.finish()
    render_.end_helpers()
    assert code == -signal.SIGKILL, render_.lines  # it was killed, not finished

    # what a reader of output/ sees: only whole renders (the earlier one, or the new one
    # when the kill came after the swap), and only dot-folders besides
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert visible == [EPISODE]
    assert digests(out / EPISODE) in (template.old, template.new)
    # the cache holds no corrupt entry (clips, and normalized clips in their own store)
    cache = ClipCache(copy.cache)
    for record in copy.cache.rglob("*.json"):
        store = cache.normalized() if record.parent.parent == cache.normalized().root else cache
        assert store.get(record.stem) is not None, record

    # the next render completes, cleans up, and is byte-identical to an uninterrupted one
    again = render(copy.root, copy.cache)
    assert again.returncode == 0, again.stderr
    assert digests(out / EPISODE) == template.new
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".locks"]


def test_renders_in_other_folders_at_other_times_are_byte_identical(
    template: Template, tmp_path: Path
) -> None:
    """A cold render (empty cache, other folder, other working directory, later) gives the
    very bytes of the reference, and no file holds a machine path, a host name or today's
    date (the only date is the episode's own)."""
    root = tmp_path / "elsewhere" / "proj"
    shutil.copytree(template.root, root, ignore=shutil.ignore_patterns("output"))
    set_messages(root, template.ids)
    done = render(root, tmp_path / "cold-cache")
    assert done.returncode == 0, done.stderr
    out = root / "output" / EPISODE
    assert digests(out) == template.new

    # long needles (paths) anywhere; short ones (host name, dates) wherever text can be:
    # the sidecars and every WAV chunk but the audio (two bytes of audio can spell "vm")
    paths = [str(p).encode() for p in (REPO, root, template.root, tmp_path, Path.home())]
    today = dt.date.today()
    words = [socket.gethostname().encode()]
    if today.isoformat() != EPISODE_DATE:
        words += [today.isoformat().encode(), today.strftime("%Y:%m:%d").encode()]
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for needle in paths:
            assert needle not in data, (path.name, needle)
        if path.suffix == ".wav":
            info = wavfile.read_info(path)
            text = b"".join(data[o - 8 : o + n] for cid, o, n in info.chunks if cid != b"data")
        elif path.suffix == ".mp3":
            text = b""  # audio frames, unless there is an ID3v2 tag in front
            if data.startswith(b"ID3"):
                size = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(data[6:10]))
                text = data[: 10 + size]
        else:
            text = data
        for needle in words:
            assert needle not in text, (path.name, needle)


def test_a_second_render_of_an_episode_being_rendered_exits_with_one_clear_line(
    template: Template, tmp_path: Path
) -> None:
    """Two renders at once: the first is held (SIGSTOP) once it has the episode's lock, so
    the second surely meets it; then the first resumes and publishes a whole render."""
    copy = template.copy(tmp_path)
    first = Watched(copy.root, copy.cache)
    first.wait_for("synthesizing")
    os.kill(first.proc.pid, signal.SIGSTOP)
    try:
        second = render(copy.root, copy.cache)
    finally:
        os.kill(first.proc.pid, signal.SIGCONT)
    assert second.returncode == 1
    assert second.stderr.splitlines() == [
        f"error: episode '{EPISODE}' is being rendered by process {first.proc.pid}; "
        "wait for it to finish, then run again"
    ]
    assert first.finish() == 0, first.lines
    assert digests(copy.root / "output" / EPISODE) == template.new

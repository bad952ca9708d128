"""Publishing a render atomically, and one render per episode at a time (outputdir.py): a
reader sees the whole previous render or the whole new one, a failed or killed render leaves
the previous output as it was, and a second render of an episode (another process) is told
in one line which process holds it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_pipeline.core.errors import OutputError
from audio_pipeline.publish import outputdir
from audio_pipeline.publish.outputdir import Staging, episode_lock, queue_lock


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative name, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def render(root: Path, episode: str, files: dict[str, bytes]) -> Path:
    with Staging(root, episode) as staging:
        for name, data in files.items():
            path = staging.folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (staging.scratch / "normalized.wav").write_bytes(b"never published")
        return staging.publish()


FIRST = {"2026-w47.wav": b"RIFF first", "clips/not-alone.wav": b"clip", "cues.json": b"{}"}
SECOND = {"2026-w47.wav": b"RIFF second", "cues.json": b'{"v": 2}'}


def test_a_first_render_is_published_whole_and_readable(tmp_path: Path) -> None:
    final = render(tmp_path / "output", "2026-w47", FIRST)
    assert final == tmp_path / "output" / "2026-w47"
    assert tree(final) == FIRST
    assert stat.S_IMODE(final.stat().st_mode) == 0o755  # not mkdtemp's 0700
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["2026-w47"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_a_new_render_replaces_the_old_one_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    root = tmp_path / "output"
    render(root, "2026-w47", FIRST)
    if not exchange:  # a system without RENAME_EXCHANGE: the old output is moved aside first
        monkeypatch.setattr(outputdir, "_exchange", lambda a, b: False)
    final = render(root, "2026-w47", SECOND)
    assert tree(final) == SECOND  # the old clip is gone with the old render
    assert sorted(p.name for p in root.iterdir()) == ["2026-w47"]


def test_a_render_that_fails_before_publishing_leaves_the_previous_output(tmp_path: Path) -> None:
    root = tmp_path / "output"
    render(root, "2026-w47", FIRST)
    with pytest.raises(RuntimeError, match="encoder died"), Staging(root, "2026-w47") as staging:
        (staging.folder / "2026-w47.wav").write_bytes(b"half a file")
        raise RuntimeError("encoder died")
    assert tree(root / "2026-w47") == FIRST
    assert sorted(p.name for p in root.iterdir()) == ["2026-w47"]


def test_the_next_render_undoes_what_a_killed_one_left(tmp_path: Path) -> None:
    root = tmp_path / "output"
    root.mkdir()
    # killed between the two renames: the old output moved aside, the new one not yet in
    previous = root / ".previous-2026-w47"
    previous.mkdir()
    (previous / "2026-w47.wav").write_bytes(b"RIFF first")
    for stale in (".staging-2026-w47-abc123", ".work-2026-w47-def456", ".staging-2026-w48-x"):
        (root / stale).mkdir()
        (root / stale / "part.wav").write_bytes(b"half")
    with Staging(root, "2026-w47"):
        # the previous output is back before anything else happens
        assert tree(root / "2026-w47") == {"2026-w47.wav": b"RIFF first"}
    names = sorted(p.name for p in root.iterdir())
    # another episode's staging folder is its own render's to clear, under its own lock
    assert names == [".staging-2026-w48-x", "2026-w47"]


def test_a_moved_aside_output_is_dropped_when_the_new_one_is_in_place(tmp_path: Path) -> None:
    root = tmp_path / "output"
    render(root, "2026-w47", SECOND)
    (root / ".previous-2026-w47").mkdir()  # killed after both renames, before the cleanup
    with Staging(root, "2026-w47"):
        pass
    assert sorted(p.name for p in root.iterdir()) == ["2026-w47"]
    assert tree(root / "2026-w47") == SECOND


def test_the_staging_folders_exist_only_while_open(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "output", "2026-w47")
    for what in ("folder", "scratch"):
        with pytest.raises(RuntimeError, match=r"^the staging folder is not open$"):
            getattr(staging, what)
    with staging:
        assert staging.folder.parent == staging.scratch.parent == tmp_path / "output"
        assert staging.folder.name.startswith(".staging-2026-w47-")
        assert staging.scratch.name.startswith(".work-2026-w47-")


def test_an_output_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "output"
    blocker.write_text("a file where the output folder should be", "utf-8")
    root = blocker / "episodes"
    with pytest.raises(OutputError) as failure:
        Staging(root, "2026-w47").__enter__()
    assert str(failure.value) == (
        f"cannot write to {root}: Not a directory; the previous output was left untouched"
    )
    with pytest.raises(OutputError, match="Not a directory"), episode_lock(root, "2026-w47"):
        pass


# --- one render of an episode at a time ----------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from audio_pipeline.publish.outputdir import episode_lock, queue_lock

    lock = queue_lock if sys.argv[2] == "queue" else episode_lock
    args = (Path(sys.argv[1]),) if sys.argv[2] == "queue" else (Path(sys.argv[1]), sys.argv[2])
    with lock(*args):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes it
    """
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[object]:
    """Another process holding a lock on tmp_path/output until the test ends."""
    started: list[subprocess.Popen[str]] = []

    def hold(name: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(tmp_path / "output"), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        started.append(proc)
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        return proc

    yield hold
    for proc in started:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=10)


def test_a_second_render_of_an_episode_is_told_which_process_holds_it(
    tmp_path: Path, holder: object
) -> None:
    root = tmp_path / "output"
    other = holder("2026-w47")  # type: ignore[operator]
    with pytest.raises(OutputError) as failure, episode_lock(root, "2026-w47"):
        pass
    assert str(failure.value) == (
        f"episode '2026-w47' is being rendered by process {other.pid}; wait for it to finish, "
        "then run again"
    )
    assert (root / ".locks" / "2026-w47.lock").read_text() == str(other.pid)
    with episode_lock(root, "2026-w48"):  # another episode renders meanwhile
        pass
    other.stdin.close()
    other.wait(timeout=10)
    with episode_lock(root, "2026-w47"):  # and once it is done, this one may
        assert (root / ".locks" / "2026-w47.lock").read_text() == str(os.getpid())


def test_the_queue_is_held_by_one_render_at_a_time(tmp_path: Path, holder: object) -> None:
    other = holder("queue")  # type: ignore[operator]
    with pytest.raises(OutputError) as failure, queue_lock(tmp_path / "output"):
        pass
    assert str(failure.value) == (
        f"process {other.pid} is choosing messages from the queue for another episode; run "
        "again when it has finished"
    )


def test_a_lock_is_released_when_the_render_fails(tmp_path: Path) -> None:
    root = tmp_path / "output"
    with pytest.raises(RuntimeError), episode_lock(root, "2026-w47"):
        # the same process asking again is refused too: the lock is not re-entrant
        again = pytest.raises(OutputError, match=f"by process {os.getpid()};")
        with again, episode_lock(root, "2026-w47"):
            pass
        raise RuntimeError("render failed")
    with episode_lock(root, "2026-w47"):
        pass

"""Publishing a render atomically, and one render per episode at a time.

Everything is written into a staging folder beside the final one (same file system) and
swapped in with one atomic rename (Linux renameat2 RENAME_EXCHANGE when there is a previous
output), so a reader sees either the whole previous render or the whole new one, and a
failed or killed render leaves the previous output untouched. Stale staging folders of killed
renders are removed by the next render of the same episode, under its lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from audio_pipeline.core.errors import OutputError, explain_os_error

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (renameat2). False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive_lock(output_root: Path, name: str, busy: Callable[[str], str]) -> Iterator[None]:
    """An flock on output/.locks/<name>.lock, never waited for: when another process holds
    it, OutputError with `busy(holder)`, the holder being the process id it wrote there."""
    locks = output_root / ".locks"
    try:
        locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(locks / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(explain_os_error(exc, output_root)) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise OutputError(busy(holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def episode_busy(episode_id: str, holder: str) -> str:
    """The one line for a render of an episode that is being rendered already."""
    return (
        f"episode '{episode_id}' is being rendered by process {holder}; "
        "wait for it to finish, then run again"
    )


def episode_lock(output_root: Path, episode_id: str) -> contextlib.AbstractContextManager[None]:
    """Exclusive lock for rendering one episode; a second render exits with a clear message."""
    return exclusive_lock(output_root, episode_id, lambda holder: episode_busy(episode_id, holder))


class Staging:
    """A staging folder for one episode's render, published by `publish()`."""

    def __init__(self, output_root: Path, episode_id: str) -> None:
        self.output_root = output_root
        self.episode_id = episode_id
        self.final = output_root / episode_id
        self.path: Path | None = None
        self.work: Path | None = None

    def __enter__(self) -> Staging:
        try:
            self.output_root.mkdir(parents=True, exist_ok=True)
            self._recover()
            self.path = Path(
                tempfile.mkdtemp(prefix=f".staging-{self.episode_id}-", dir=self.output_root)
            )
            self.work = Path(
                tempfile.mkdtemp(prefix=f".work-{self.episode_id}-", dir=self.output_root)
            )
        except OSError as exc:
            self._cleanup()
            raise OutputError(explain_os_error(exc, self.output_root)) from exc
        return self

    @property
    def folder(self) -> Path:
        """Where the render's files are written (open between enter and publish)."""
        if self.path is None:
            raise RuntimeError("the staging folder is not open")
        return self.path

    @property
    def scratch(self) -> Path:
        """Working files that are never published (normalized pieces)."""
        if self.work is None:
            raise RuntimeError("the staging folder is not open")
        return self.work

    def _recover(self) -> None:
        """Undo what a killed render may have left: a half swap, stale staging folders."""
        previous = self.output_root / f".previous-{self.episode_id}"
        if previous.exists() and not self.final.exists():
            os.rename(previous, self.final)
        for pattern in (f".staging-{self.episode_id}-*", f".work-{self.episode_id}-*"):
            for stale in self.output_root.glob(pattern):
                shutil.rmtree(stale, ignore_errors=True)
        if previous.exists():
            shutil.rmtree(previous, ignore_errors=True)

    def _cleanup(self) -> None:
        for folder in (self.path, self.work):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    def publish(self) -> Path:
        assert self.path is not None
        try:
            for f in self.path.rglob("*"):
                if f.is_file():
                    with open(f, "rb+") as handle:
                        os.fsync(handle.fileno())
            os.chmod(self.path, 0o755)  # mkdtemp makes it 0700
            if self.final.exists():
                if _exchange(self.path, self.final):
                    old = self.path  # after the swap, the staging name holds the old output
                else:
                    previous = self.output_root / f".previous-{self.episode_id}"
                    os.rename(self.final, previous)
                    os.rename(self.path, self.final)
                    old = previous
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(self.path, self.final)
            _fsync_dir(self.output_root)
        except OSError as exc:
            raise OutputError(explain_os_error(exc, self.output_root)) from exc
        self.path = None
        return self.final

    def __exit__(self, *exc: object) -> None:
        self._cleanup()


def queue_lock(output_root: Path) -> AbstractContextManager[None]:
    """Held from choosing messages until the render is in the ledger, so two renders running
    at once cannot both take the same messages from the queue."""
    return exclusive_lock(
        output_root,
        "queue",
        lambda holder: (
            f"process {holder} is choosing messages from the queue for another "
            "episode; run again when it has finished"
        ),
    )

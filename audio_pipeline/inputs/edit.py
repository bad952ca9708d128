"""Editing an input file in place, as a person would: comments, key order, quoting and block
scalars (`text: |`) kept, only the named fields changed, and the file replaced atomically.

ruamel.yaml's round-trip mode reads the file into a structure that remembers its layout; the
change is applied to it, the result is dumped and read back with the same guarded loader
every input goes through, and checked: every field the change did not name is exactly what it
was, and the new content is valid (the caller's check). Then a temporary file in the same
folder is written, flushed and fsync'd, and renamed over the original (os.replace: atomic on
POSIX), and the folder is fsync'd so the rename survives a power cut. A file that changed on
disk between the read and the write is not overwritten: the editor's change and the other one
would silently mix.

An editor in the studio edits a file they loaded a while ago: `expected_sha256` is the digest
of the file as their page showed it, and an edit of a file that has changed since is refused
(StaleEdit) instead of overwriting the other change. Within one process (the studio serves
requests on several threads) edits of one file are serialized, so the comparison and the
rename are one step for them; a writer in another process (a text editor, a CLI command) is
caught by the comparison just before the rename. `create_mapping` writes a new file the same
way and never replaces one that exists.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import ExitCode, InputError, PipelineError, Problem
from audio_pipeline.inputs.yamlio import display_path, load_yaml_mapping, parse_mapping

DELETE = object()  # a value in `changes` that removes the key


class EditConflict(PipelineError):
    """The file changed while it was being edited; nothing was written (exit 1)."""


class StaleEdit(EditConflict):
    """The file changed on disk since the editor loaded it; nothing was written. The editor
    must see the other change first (exit 2: reload, then edit again)."""

    exit_code = ExitCode.INVALID_INPUT


class FileExists(PipelineError):
    """A new file was to be created where one exists already (exit 2)."""

    exit_code = ExitCode.INVALID_INPUT


_LOCKS_GUARD = threading.Lock()
_LOCKS: dict[Path, threading.Lock] = {}


def _file_lock(path: Path) -> threading.Lock:
    """One lock per file for this process's writers."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path, threading.Lock())


def file_sha256(path: Path) -> str:
    """The digest of a file's bytes as they are now: what an edit form carries."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stale_message(shown: str) -> str:
    return (
        f"{shown} changed on disk since you opened it (by another editor or a text "
        "editor); reload to see it"
    )


def block_text(text: str) -> Any:
    """A multi-line value written as a `|` block, as people write message texts."""
    return LiteralScalarString(text if text.endswith("\n") else text + "\n")


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a long line the editor wrote on one
    y.indent(mapping=2, sequence=4, offset=2)  # "key:\n  - item", as the shipped files are
    return y


def _apply(doc: CommentedMap, changes: Mapping[str, Any], after: str | None) -> None:
    """Change keys in place; a new key goes after the last key of `after`'s group (or at the
    end); DELETE removes a key."""
    for key, value in changes.items():
        if value is DELETE:
            doc.pop(key, None)
        elif key in doc:
            doc[key] = value
        else:
            keys = list(doc.keys())
            anchor = max(
                (i for i, k in enumerate(keys) if after and k.startswith(after)), default=-1
            )
            doc.insert(anchor + 1 if anchor >= 0 else len(keys), key, value)


def _drop_marked_comment(doc: CommentedMap, key: str, marker: str) -> None:
    """Remove the end-of-line comment of `key` when it holds `marker` (a note this tool wrote
    that the change makes untrue); comment lines below it, which ruamel keeps on the same
    token, stay."""
    slots = doc.ca.items.get(key)
    token = slots[2] if slots and len(slots) > 2 else None
    if token is None or marker not in token.value.split("\n", 1)[0]:
        return
    rest = token.value.split("\n", 1)[1] if "\n" in token.value else ""
    if rest.strip():
        token.value = "\n" + rest
    else:
        slots[2] = None


def edit_mapping(
    path: Path,
    changes: Mapping[str, Any],
    *,
    root: Path,
    check: Callable[[dict[str, Any]], list[Problem]],
    group: str | None = None,
    comments: Mapping[str, str] | None = None,
    stale_comment_marker: str | None = None,
    expected_sha256: str | None = None,
) -> None:
    """Set (or with DELETE remove) top-level keys of the YAML mapping in `path`.

    `check` validates the new content as the loader will read it; its problems raise
    InputError and nothing is written. `group` is the prefix of the keys new ones join
    ('approved_'), `comments` end-of-line comments for changed keys; a changed key's own
    end-of-line comment holding `stale_comment_marker` is removed. `expected_sha256`: the
    digest of the file as the editor loaded it; StaleEdit when it is not the file's now."""
    real = path.resolve()
    with _file_lock(real):
        _edit(
            path,
            changes,
            root=root,
            check=check,
            group=group,
            comments=comments,
            stale_comment_marker=stale_comment_marker,
            expected_sha256=expected_sha256,
        )


def _edit(
    path: Path,
    changes: Mapping[str, Any],
    *,
    root: Path,
    check: Callable[[dict[str, Any]], list[Problem]],
    group: str | None,
    comments: Mapping[str, str] | None,
    stale_comment_marker: str | None,
    expected_sha256: str | None,
) -> None:
    shown = display_path(path, root)
    before_data, problems = load_yaml_mapping(path, root=root)
    if before_data is None:
        raise InputError(problems)
    path = path.resolve()  # a link inside the project: edit the file it names, keep the link
    original = path.read_bytes()
    if expected_sha256 is not None and hashlib.sha256(original).hexdigest() != expected_sha256:
        raise StaleEdit(stale_message(shown))
    if len(original) > defaults.MAX_YAML_BYTES:
        raise InputError([Problem(shown, "", "file is too large to edit")])
    doc = _yaml().load(original.decode("utf-8-sig"))
    if not isinstance(doc, CommentedMap):
        raise InputError([Problem(shown, "", "expected a mapping of fields (key: value)")])
    if stale_comment_marker:
        for key in changes:
            _drop_marked_comment(doc, key, stale_comment_marker)
    _apply(doc, changes, group)
    for key, comment in (comments or {}).items():
        if key in doc:
            doc.yaml_add_eol_comment(comment, key)
    out = io.StringIO()
    _yaml().dump(doc, out)
    text = out.getvalue()

    after_data, problem = parse_mapping(text)
    if after_data is None:  # ruamel wrote something our loader refuses: a bug, not the user's
        raise PipelineError(f"{shown}: the edited file would not read back ({problem})")
    untouched = set(before_data) - set(changes)
    if any(after_data.get(k) != before_data[k] for k in untouched):
        raise PipelineError(f"{shown}: the edit would change fields it was not asked to change")
    problems = check(after_data)
    if problems:
        raise InputError(problems)
    _replace(path, original, text.encode("utf-8"), shown, stale=expected_sha256 is not None)


def create_mapping(
    path: Path,
    data: Mapping[str, Any],
    *,
    root: Path,
    check: Callable[[dict[str, Any]], list[Problem]],
) -> None:
    """Write a new YAML mapping file, keys in the order given. Validated as it will be read
    (`check`); written to a temporary file, fsync'd, and linked into place, which fails when
    the name is taken: an existing file is never replaced (FileExists)."""
    shown = display_path(path, root)
    doc = CommentedMap()
    for key, value in data.items():
        doc[key] = value
    out = io.StringIO()
    _yaml().dump(doc, out)
    text = out.getvalue()
    after_data, problem = parse_mapping(text)
    if after_data is None:
        raise PipelineError(f"{shown}: the new file would not read back ({problem})")
    problems = check(after_data)
    if problems:
        raise InputError(problems)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, path)  # atomic, and refuses a name that exists (unlike rename)
        except FileExistsError:
            raise FileExists(
                f"{shown} exists already; choose another id, or open that message"
            ) from None
    finally:
        os.unlink(tmp)
    _fsync_dir(folder)


def _replace(path: Path, original: bytes, content: bytes, shown: str, *, stale: bool) -> None:
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        if path.read_bytes() != original:
            if stale:
                raise StaleEdit(stale_message(shown))
            raise EditConflict(
                f"{shown} changed on disk while it was being edited; nothing was written. "
                "Run the command again"
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

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
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import InputError, PipelineError, Problem
from audio_pipeline.inputs.yamlio import display_path, load_yaml_mapping, parse_mapping

DELETE = object()  # a value in `changes` that removes the key


class EditConflict(PipelineError):
    """The file changed while it was being edited; nothing was written (exit 1)."""


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
) -> None:
    """Set (or with DELETE remove) top-level keys of the YAML mapping in `path`.

    `check` validates the new content as the loader will read it; its problems raise
    InputError and nothing is written. `group` is the prefix of the keys new ones join
    ('approved_'), `comments` end-of-line comments for changed keys; a changed key's own
    end-of-line comment holding `stale_comment_marker` is removed."""
    shown = display_path(path, root)
    before_data, problems = load_yaml_mapping(path, root=root)
    if before_data is None:
        raise InputError(problems)
    path = path.resolve()  # a link inside the project: edit the file it names, keep the link
    original = path.read_bytes()
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
    _replace(path, original, text.encode("utf-8"), shown)


def _replace(path: Path, original: bytes, content: bytes, shown: str) -> None:
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        if path.read_bytes() != original:
            raise EditConflict(
                f"{shown} changed on disk while it was being edited; nothing was written. "
                "Run the command again"
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

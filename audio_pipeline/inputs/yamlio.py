"""Reading YAML input files safely: size cap, UTF-8 only, safe_load, no alias bombs,
no silently duplicated keys. Every failure is a Problem naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import Problem


class _YamlInputError(Exception):
    pass


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that caps aliases and refuses duplicate keys.

    PyYAML keeps the last of two equal keys without a word: a message file with two `text:`
    keys would lose one silently, so a duplicate key is a problem here.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > defaults.MAX_YAML_ALIASES:
                raise _YamlInputError(
                    f"more than {defaults.MAX_YAML_ALIASES} YAML aliases (*name); "
                    "write the values out instead"
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                line = key_node.start_mark.line + 1
                raise _YamlInputError(f"line {line}: a key must be text") from None
            if duplicate:
                raise _YamlInputError(
                    f"line {key_node.start_mark.line + 1}: key '{key}' appears twice; keep one"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _real(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop is a RuntimeError before Python 3.13
        return None


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the user should see it: relative to the project when inside it."""
    if root is not None:
        # the name in the project first (a link is named as the link), then where it leads
        for candidate, base in ((path.absolute(), root.absolute()), (_real(path), _real(root))):
            if candidate is not None and base is not None and candidate.is_relative_to(base):
                return str(candidate.relative_to(base))
    return str(path)


def load_yaml_mapping(
    path: Path, *, root: Path | None = None, max_bytes: int = defaults.MAX_YAML_BYTES
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read one YAML file that must hold a mapping. Returns (data, problems)."""
    shown = display_path(path, root)

    def fail(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(shown, "", message)]

    try:
        real = _real(path)
        if real is None:
            return fail("is a link that cannot be followed (a loop?); put the file itself here")
        if not real.exists():
            return fail("is a link to a missing file" if path.is_symlink() else "file not found")
        if not real.is_file():
            return fail("not a regular file")
        real_root = _real(root) if root is not None else None
        if real_root is not None and real != path.absolute() and not real.is_relative_to(real_root):
            # a link leading out of the project: its text could be broadcast unreviewed
            return fail(f"is a link to {real}, outside the project; copy the file in instead")
        size = real.stat().st_size
        if size > max_bytes:
            return fail(f"file is {size} bytes; at most {max_bytes} bytes are allowed")
        with open(real, "rb") as f:
            raw = f.read(max_bytes + 1)  # the file may have grown since stat
        if len(raw) > max_bytes:
            return fail(f"file is over {max_bytes} bytes; at most {max_bytes} bytes are allowed")
    except OSError as exc:
        return fail(f"cannot read file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")  # a UTF-8 byte-order mark is harmless: accept it
    except UnicodeDecodeError as exc:
        return fail(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")
    data, problem = parse_mapping(text)
    return (data, []) if problem is None else fail(problem)


def parse_mapping(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """YAML text that must hold a mapping, read as every input is: (data, None) or (None,
    what is wrong)."""
    if "\x00" in text:
        return None, "contains NUL bytes; not a text file"
    try:
        data = yaml.load(text, Loader=_GuardedLoader)
    except _YamlInputError as exc:
        return None, str(exc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        if "\t" in line[: len(line) - len(line.lstrip())] or "'\\t'" in str(exc.problem):
            # YAML forbids tabs for indentation; editors that insert them are common
            return None, f"invalid YAML: {where}a tab indents this line; use spaces instead"
        return None, f"invalid YAML: {where}{exc.problem or exc}"
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        return None, f"invalid YAML: {exc}"
    if data is None:
        return None, "file is empty; expected a mapping of fields"
    if not isinstance(data, dict):
        return None, f"expected a mapping of fields (key: value), got {type(data).__name__}"
    return data, None

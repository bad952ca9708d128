"""Reading typed fields out of a loaded YAML mapping, collecting every problem.

A small hand-written checker: each call reads one field, converts it, and on a bad value
records a Problem (file, field, what is wrong, what is allowed) instead of raising, so a
loader reports every problem of a file at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from audio_pipeline.core.errors import Problem

# Ids become file names (clips/<id>.wav): lowercase ASCII letters, digits and inner hyphens.
ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
ID_RULE = "1-64 characters: a-z, 0-9 and '-', starting and ending with a letter or digit"

_MISSING = object()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (dt.date, dt.datetime)):
        return "a date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return type(value).__name__


def has_control_chars(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\n\t\r" for c in text)


class FieldReader:
    def __init__(self, data: dict[str, Any], file: str, problems: list[Problem]) -> None:
        self.data = data
        self.file = file
        self.problems = problems

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, field, message))

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.problem(name, "missing; this field is required")
            return _MISSING
        return value

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        max_chars: int = 500,
        multiline: bool = False,
    ) -> str | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.problem(name, f"expected text, got {_kind(value)}; put the value in quotes")
            return None
        if has_control_chars(value):
            self.problem(name, "contains control characters; remove them")
            return None
        if not multiline and "\n" in value.strip():
            self.problem(name, "must be a single line")
            return None
        stripped = value.strip()
        if not stripped:
            if required:
                self.problem(name, "is empty; write the text")
            return None
        if len(stripped) > max_chars:
            self.problem(name, f"is {len(stripped)} characters; at most {max_chars} allowed")
            return None
        return stripped

    def ident(self, name: str, *, required: bool = True) -> str | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.problem(name, f"expected an id ({ID_RULE}), got {_kind(value)}")
            return None
        if not ID_PATTERN.match(value):
            self.problem(name, f"'{_clip(value)}' is not a safe id; allowed: {ID_RULE}")
            return None
        return value

    def choice(self, name: str, allowed: Iterable[str], *, required: bool = True) -> str | None:
        options = list(allowed)
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or value not in options:
            self.problem(name, f"'{_clip(value)}' is not allowed; allowed: {', '.join(options)}")
            return None
        return value

    def number(
        self,
        name: str,
        lo: float,
        hi: float,
        default: float | None = None,
        *,
        required: bool = False,
    ) -> float | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(name, f"expected a number from {lo:g} to {hi:g}, got {_kind(value)}")
            return default
        if not math.isfinite(value) or not lo <= value <= hi:
            self.problem(name, f"{value} is out of range; allowed: {lo:g} to {hi:g}")
            return default
        return float(value)

    def integer(
        self, name: str, lo: int, hi: int, default: int | None = None, *, required: bool = False
    ) -> int | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, f"expected a whole number from {lo} to {hi}, got {_kind(value)}")
            return default
        if not lo <= value <= hi:
            self.problem(name, f"{value} is out of range; allowed: {lo} to {hi}")
            return default
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.problem(name, f"expected true or false, got {_kind(value)}")
            return default
        return value

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(name, f"'{_clip(value)}' is not a date; write it as YYYY-MM-DD")
        return None

    def timestamp(self, name: str, *, required: bool = True) -> dt.date | dt.datetime | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, (dt.date, dt.datetime)):
            return value
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(
            name, f"'{_clip(value)}' is not a date or time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        )
        return None

    def id_list(self, name: str, *, max_items: int, required: bool = True) -> tuple[str, ...]:
        value = self._get(name, required)
        if value is _MISSING:
            return ()
        if not isinstance(value, list):
            self.problem(name, f"expected a list of message ids, got {_kind(value)}")
            return ()
        if not value and required:
            self.problem(name, "is empty; list at least one message id")
            return ()
        if len(value) > max_items:
            self.problem(name, f"has {len(value)} entries; at most {max_items} allowed")
            return ()
        ids: list[str] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            where = f"{name}[{i}]"
            if not isinstance(item, str) or not ID_PATTERN.match(item):
                self.problem(where, f"'{_clip(item)}' is not a safe id; allowed: {ID_RULE}")
                continue
            if item in seen:
                self.problem(where, f"'{item}' is listed twice; a message airs once per episode")
                continue
            seen.add(item)
            ids.append(item)
        return tuple(ids)

    def mapping(self, name: str) -> dict[str, Any]:
        value = self._get(name, False)
        if value is _MISSING:
            return {}
        if not isinstance(value, dict):
            self.problem(name, f"expected a mapping (key: value), got {_kind(value)}")
            return {}
        return value

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        known = set(allowed)
        for key in self.data:
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.problem(
                    _clip(key),
                    f"unknown field; {hint}allowed fields: {', '.join(sorted(known))}",
                )


class SubReader(FieldReader):
    """Reads a nested mapping; problems name its path (bed.file, formats[1].codec)."""

    def __init__(
        self, data: dict[str, Any], file: str, problems: list[Problem], prefix: str
    ) -> None:
        super().__init__(data, file, problems)
        self.prefix = prefix

    @classmethod
    def of(cls, parent: FieldReader, name: str, data: dict[str, Any]) -> SubReader:
        prefix = f"{parent.prefix}.{name}" if isinstance(parent, SubReader) else name
        return cls(data, parent.file, parent.problems, prefix)

    def problem(self, field: str, message: str) -> None:
        super().problem(f"{self.prefix}.{field}" if field else self.prefix, message)


def _clip(value: Any, limit: int = 40) -> str:
    text = str(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_clock(value: object) -> float | None:
    """'15:00' -> 900.0, '1:02:03' -> 3723.0, 90 -> 90.0; None when not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    m = re.fullmatch(r"(?:(\d+):)?(\d{1,3}):(\d{2}(?:\.\d+)?)", text)
    if not m or float(m.group(3)) >= 60:
        return None
    hours, minutes, seconds = int(m.group(1) or 0), int(m.group(2)), float(m.group(3))
    if m.group(1) is not None and minutes >= 60:
        return None
    return hours * 3600 + minutes * 60 + seconds

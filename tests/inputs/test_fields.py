"""Reading one field of an input file: what is wrong, where, what is allowed."""

from __future__ import annotations

from audio_pipeline.core.errors import Problem
from audio_pipeline.inputs.fields import FieldReader


def test_an_unknown_field_names_the_nearest_known_one() -> None:
    problems: list[Problem] = []
    reader = FieldReader({"titel": "x", "zzz": 1}, "e.yaml", problems)
    reader.reject_unknown(["title", "date", "voice"])
    assert [str(p) for p in problems] == [
        "e.yaml: titel: unknown field; did you mean 'title'? allowed fields: date, title, voice",
        "e.yaml: zzz: unknown field; allowed fields: date, title, voice",
    ]


def test_numbers_outside_their_range_say_the_range() -> None:
    problems: list[Problem] = []
    reader = FieldReader({"gap_s": 99}, "e.yaml", problems)
    reader.number("gap_s", 0.0, 30.0, 1.5)
    assert [str(p) for p in problems] == ["e.yaml: gap_s: 99 is out of range; allowed: 0 to 30"]

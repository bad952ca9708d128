"""The project's own identifying words and patterns (input/identifying.yaml): literal words in
any case and spacing, regular expressions in any case, the reason an editor reads, and every
problem of the file one line (file, field, what is wrong, what is allowed), all or nothing."""

from __future__ import annotations

import pytest

from audio_pipeline.core.project import Project
from audio_pipeline.inputs.patterns import load_patterns
from tests.conftest import write_yaml

FILE = "input/identifying.yaml"


def patterns_file(project: Project, patterns: object) -> None:
    write_yaml(project.root / FILE, {"patterns": patterns})


def test_no_file_is_no_patterns(project: Project) -> None:
    (project.root / FILE).unlink()
    assert load_patterns(project) == ((), [])


def test_the_sample_file_holds_a_literal_and_a_regex(project: Project) -> None:
    patterns, problems = load_patterns(project)
    assert problems == []
    assert [p.reason for p in patterns] == [
        "a project pattern: the supporters' association; naming it on the air ties a listener "
        "to it",
        "a project pattern: our letter reference numbers lead back to the sender",
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("새벽빛 후원회에서", "새벽빛 후원회"),
        ("새벽빛후원회에서", "새벽빛후원회"),  # without the space
        ("새벽빛   후원회", "새벽빛   후원회"),
        ("새벽빛\n후원회", "새벽빛\n후원회"),
        ("Hope Radio 에서", "Hope Radio"),
        ("HOPE RADIO", "HOPE RADIO"),  # any letter case
        ("hoperadio", "hoperadio"),
    ],
)
def test_literal_words_match_in_any_case_with_or_without_spaces(
    project: Project, text: str, found: str
) -> None:
    patterns_file(
        project,
        [
            {"words": "새벽빛 후원회", "reason": "our association"},
            {"words": "Hope  Radio", "reason": "our station"},
        ],
    )
    patterns, problems = load_patterns(project)
    assert problems == []
    matches = [m[0] for p in patterns for m in p.pattern.finditer(text)]
    assert matches == [found]


def test_literal_words_are_no_regular_expression(project: Project) -> None:
    patterns_file(project, [{"words": "a.b (c)", "reason": "x"}])
    [pattern], _ = load_patterns(project)
    assert pattern.pattern.search("a.b (c)") is not None
    assert pattern.pattern.search("axb c") is None  # the dot and brackets are literal


def test_a_regex_matches_in_any_case(project: Project) -> None:
    patterns_file(project, [{"regex": r"\bHOPE-\d{4}\b", "reason": "letter numbers"}])
    [pattern], problems = load_patterns(project)
    assert problems == []
    assert [m[0] for m in pattern.pattern.finditer("hope-2024, HOPE-12, Hope-1234")] == [
        "hope-2024",
        "Hope-1234",
    ]
    assert pattern.reason == "a project pattern: letter numbers"


@pytest.mark.parametrize(
    ("patterns", "line"),
    [
        (
            "새벽빛",
            "patterns: expected a list of {words: ..., reason: ...} or {regex: ..., reason: ...}",
        ),
        (
            ["새벽빛"],
            "patterns[0]: expected {words: ..., reason: ...} or {regex: ..., reason: ...}",
        ),
        (
            [{"reason": "x"}],
            "patterns[0]: give exactly one of 'words' (literal) or 'regex' (a regular expression)",
        ),
        (
            [{"words": "새벽빛", "reason": "x", "note": "y"}],
            "patterns[0].note: unknown field; allowed fields: reason, regex, words",
        ),
        (
            [{"words": "새벽빛", "reason": ""}],
            "patterns[0].reason: is empty; write the text",
        ),
        (
            [{"regex": "a" * 301, "reason": "x"}],
            "patterns[0].regex: is 301 characters; at most 300 allowed",
        ),
        (
            [{"regex": "[가-", "reason": "x"}],
            "patterns[0].regex: is not a valid regular expression: unterminated character set "
            "at position 0",
        ),
        (
            [{"regex": "x?", "reason": "x"}],
            "patterns[0].regex: matches empty text, so it would flag every message; make it "
            "stricter",
        ),
    ],
)
def test_a_bad_entry_is_one_line(project: Project, patterns: object, line: str) -> None:
    patterns_file(project, patterns)
    found, problems = load_patterns(project)
    assert found == ()
    assert [str(p) for p in problems] == [f"{FILE}: {line}"]


def test_too_many_patterns_are_refused(project: Project) -> None:
    patterns_file(project, [{"words": f"말{i}", "reason": "x"} for i in range(501)])
    found, problems = load_patterns(project)
    assert found == ()
    assert [str(p) for p in problems] == [f"{FILE}: patterns: has 501 entries; at most 500 allowed"]


def test_one_bad_entry_makes_the_file_give_no_patterns(project: Project) -> None:
    patterns_file(
        project,
        [
            {"words": "새벽빛 후원회", "reason": "our association"},
            {"regex": "(", "reason": "broken"},
        ],
    )
    found, problems = load_patterns(project)
    assert found == ()  # the file is fixed first, not half used
    assert [p.field for p in problems] == ["patterns[1].regex"]


def test_an_unknown_top_level_field_is_named(project: Project) -> None:
    write_yaml(project.root / FILE, {"patterns": [], "words": ["새벽빛"]})
    _, problems = load_patterns(project)
    assert [str(p) for p in problems] == [f"{FILE}: words: unknown field; allowed fields: patterns"]

"""Pronunciation lexicon files: read and validated (file, entry, what is allowed), all or
nothing; a missing file is an empty lexicon; which files beside the voices are lexicons."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.lexicons import (
    is_lexicon_file,
    load_lexicon,
    parse_entries,
    voice_lexicon_path,
)
from audio_pipeline.text.lexicon import Lexicon

SPOKEN_RULE = "Hangul syllables, spaces and , . ? ! only (write numbers and letters out)"


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ("entries:\n  Jesus: Jesus\n", "entries.Jesus", "Hangul syllables"),
        ("entries:\n  Jesus: 예수3\n", "entries.Jesus", "write numbers and letters out"),
        ("entries:\n  Jesus: 예수\n  JESUS: 예수\n", "entries.JESUS", "letter case is ignored"),
        ("entries:\n  Jesus: [예수]\n", "entries.Jesus", "spoken form must be text"),
        ("entries: [Jesus]\n", "entries", "expected a mapping"),
        ("words:\n  Jesus: 예수\n", "words", "unknown field; allowed fields: entries"),
        ("entries:\n  Jesus: 예수\n  Jesus: 지저스\n", "", "appears twice"),
    ],
)
def test_bad_lexicon_entries_name_file_entry_and_rule(
    tmp_path: Path, body: str, field: str, says: str
) -> None:
    path = tmp_path / "lexicon.yaml"
    path.write_text(body, "utf-8")
    lexicon, problems = load_lexicon(path, root=tmp_path)
    assert lexicon.entries == ()
    assert [p.field for p in problems] == [field]
    assert problems[0].file == "lexicon.yaml" and says in problems[0].message


def test_missing_lexicon_is_empty(tmp_path: Path) -> None:
    assert load_lexicon(tmp_path / "lexicon.yaml") == (Lexicon(), [])


def test_bad_lexicon_is_exit_2_for_validate_and_render(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    (project.voices_dir / "ko-offline.lexicon.yaml").write_text("entries:\n  능력: 3\n", "utf-8")
    runner = CliRunner()
    for args in (
        ["validate"],
        ["validate", "input/episodes/2026-w47.yaml"],
        ["render", "input/episodes/2026-w47.yaml"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert (
            "error: voices/ko-offline.lexicon.yaml: entries.능력: the spoken form must be text"
            in result.stderr
        )
        assert "unknown voice" not in result.stderr and "Traceback" not in result.stderr


def parsed(entries: object) -> tuple[Lexicon, list[str]]:
    problems: list[Problem] = []
    lexicon = parse_entries({"entries": entries}, "voices/lexicon.yaml", problems)
    return lexicon, [str(p) for p in problems]


def test_entries_are_sorted_and_spoken_forms_keep_single_spaces() -> None:
    lexicon, problems = parsed({"Jesus": "예수", "Far East": "극동   방송", "Amen": " 아멘! "})
    assert problems == []
    assert lexicon.entries == (("Amen", "아멘!"), ("Far East", "극동 방송"), ("Jesus", "예수"))


@pytest.mark.parametrize(
    ("entries", "line"),
    [
        (
            {" Jesus": "예수"},
            "voices/lexicon.yaml: entries. Jesus: a written form must be text without leading "
            "or trailing spaces",
        ),
        (
            {123: "백이십삼"},
            "voices/lexicon.yaml: entries.123: a written form must be text without leading or "
            "trailing spaces",
        ),
        (
            {"가" * 101: "가"},
            f"voices/lexicon.yaml: entries.{'가' * 101}: a written form is one line of at most "
            "100 characters",
        ),
        (
            {"Jesus": "ㅇㅖㅅㅜ"},  # loose jamo are no syllables
            f"voices/lexicon.yaml: entries.Jesus: spoken form 'ㅇㅖㅅㅜ' is not allowed; "
            f"allowed: {SPOKEN_RULE}",
        ),
        (
            {"Jesus": "가" * 201},
            f"voices/lexicon.yaml: entries.Jesus: spoken form '{'가' * 40}' is not allowed; "
            f"allowed: {SPOKEN_RULE}",
        ),
        (
            {"Jesus": "  "},
            f"voices/lexicon.yaml: entries.Jesus: the spoken form must be text; allowed: "
            f"{SPOKEN_RULE}",
        ),
        (
            {"Far East": "극동", "far-east": "극동"},  # the same name, written otherwise
            "voices/lexicon.yaml: entries.far-east: same word as 'Far East' (letter case is "
            "ignored)",
        ),
    ],
)
def test_a_bad_entry_is_one_line_naming_file_entry_and_rule(entries: object, line: str) -> None:
    _, problems = parsed(entries)
    assert problems == [line]


def test_too_many_entries_are_refused_as_a_whole() -> None:
    lexicon, problems = parsed({f"word{i}": "말" for i in range(5_001)})
    assert lexicon.entries == ()
    assert problems == ["voices/lexicon.yaml: entries: has 5001 entries; at most 5000 allowed"]


def test_one_bad_entry_makes_the_whole_file_unusable(tmp_path: Path) -> None:
    path = tmp_path / "voices" / "lexicon.yaml"
    path.parent.mkdir()
    path.write_text("entries:\n  Jesus: 예수\n  Amen: Amen\n", "utf-8")
    lexicon, problems = load_lexicon(path, root=tmp_path)
    assert lexicon == Lexicon()  # not Jesus alone: a half-read lexicon would go unnoticed
    assert [p.file for p in problems] == ["voices/lexicon.yaml"]


def test_a_lexicon_that_is_no_yaml_mapping_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.yaml"
    path.write_text("entries: [unclosed\n", "utf-8")
    lexicon, problems = load_lexicon(path, root=tmp_path)
    assert lexicon == Lexicon()
    assert [(p.file, p.field) for p in problems] == [("lexicon.yaml", "")]
    assert problems[0].message.startswith("invalid YAML: line 2, column 1: ")


def test_which_files_are_lexicons() -> None:
    assert is_lexicon_file(Path("voices/lexicon.yaml"))
    assert is_lexicon_file(Path("voices/ko-offline.lexicon.yaml"))
    assert not is_lexicon_file(Path("voices/ko-offline.yaml"))
    assert not is_lexicon_file(Path("voices/lexicon.yml"))
    assert voice_lexicon_path(Path("voices"), "ko-offline") == Path(
        "voices/ko-offline.lexicon.yaml"
    )

"""Reading one YAML input file safely, with problems a producer can act on."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.inputs.yamlio import load_yaml_mapping


def test_a_tab_that_indents_says_use_spaces(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("id: x\nbed:\n\tfile: a.wav\n", "utf-8")
    data, problems = load_yaml_mapping(path, root=tmp_path)
    assert data is None
    assert [str(p) for p in problems] == [
        "e.yaml: invalid YAML: line 3, column 1: a tab indents this line; use spaces instead"
    ]


def test_other_yaml_errors_say_where(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("id: [x\n", "utf-8")
    _, problems = load_yaml_mapping(path, root=tmp_path)
    assert str(problems[0]).startswith("e.yaml: invalid YAML: line 2, column 1: ")

"""Reading one YAML input file safely, with problems a producer can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.inputs.yamlio import load_yaml_mapping
from tests.conftest import write_yaml
from tests.inputs.conftest import episode_data


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


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfeid: x\n", "not UTF-8 text"),
        (b"id: a\nid: b\n", "key 'id' appears twice"),
        (b"- just\n- a list\n", "expected a mapping"),
        (b"", "file is empty"),
        (b"a: &x [1]\n" + b"".join(b"k%d: *x\n" % i for i in range(60)), "YAML aliases"),
        (b'text: "unterminated\n', "invalid YAML"),
    ],
)
def test_malformed_yaml_is_a_clear_problem(project: Project, content: bytes, expected: str) -> None:
    path = project.episodes_dir / "test-ep.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_episode(path, project)
    assert expected in str(info.value.problems[0])
    assert info.value.problems[0].file == "input/episodes/test-ep.yaml"


def test_oversized_file_is_refused(project: Project) -> None:
    path = project.episodes_dir / "test-ep.yaml"
    path.write_bytes(b"# " + b"x" * 300_000 + b"\n")
    with pytest.raises(InputError, match="at most 262144 bytes"):
        load_episode(path, project)


def test_utf8_bom_is_accepted(project: Project) -> None:
    path = write_yaml(project.episodes_dir / "test-ep.yaml", episode_data())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_episode(path, project).episode.id == "test-ep"

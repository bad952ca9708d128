"""Validation: every kind of problem is found, named (file, field), and all are reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode, validate_project
from audio_pipeline.inputs.messages import load_messages
from tests.conftest import write_yaml

EPISODE = "input/episodes/2026-w47.yaml"


def episode_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "test-ep",
        "title": "시험 방송",
        "date": "2026-11-22",
        "voice": "ko-offline",
        "messages": ["not-alone", "church-prays"],
        "intro": "voices/bumpers/intro.wav",
        "outro": "voices/bumpers/outro.wav",
        "gap_s": 1.0,
    }
    data.update(changes)
    return data


def problems_of(project: Project, **changes: object) -> list[str]:
    path = write_yaml(project.episodes_dir / "test-ep.yaml", episode_data(**changes))
    with pytest.raises(InputError) as info:
        load_episode(path, project)
    return [str(p) for p in info.value.problems]


def test_sample_episode_is_valid(project: Project) -> None:
    inputs = load_episode(project.root / EPISODE, project)
    assert [m.id for m in inputs.messages][:2] == ["not-alone", "church-prays"]
    assert inputs.voice.engine == "espeak"


def test_pending_message_is_a_problem(project: Project) -> None:
    lines = problems_of(project, messages=["not-alone", "christmas-greeting"])
    assert lines == [
        "input/episodes/test-ep.yaml: messages[1]: message 'christmas-greeting' is pending; "
        "only approved messages are rendered"
    ]


def test_rejected_and_unknown_messages_are_problems(project: Project) -> None:
    lines = problems_of(project, messages=["rejected-example", "no-such-message"])
    assert "messages[0]: message 'rejected-example' is rejected" in lines[0]
    assert "messages[1]: no message with id 'no-such-message'" in lines[1]


def test_unknown_voice_names_the_voices_there_are(project: Project) -> None:
    (line,) = problems_of(project, voice="ko-robot")
    assert line.startswith("input/episodes/test-ep.yaml: voice: unknown voice 'ko-robot'")
    assert "ko-google" in line and "ko-offline" in line


def test_missing_bumper(project: Project) -> None:
    (line,) = problems_of(project, intro="voices/bumpers/missing.wav")
    assert line == (
        "input/episodes/test-ep.yaml: intro: 'voices/bumpers/missing.wav' does not exist; "
        "voices/bumpers/ holds: intro.wav, outro.wav, sting.wav"
    )


def test_undecodable_bumper(project: Project) -> None:
    (project.voices_dir / "bumpers" / "broken.wav").write_bytes(b"RIFF....WAVEjunk" * 10)
    (line,) = problems_of(project, outro="voices/bumpers/broken.wav")
    assert line.startswith("input/episodes/test-ep.yaml: outro: cannot decode")


def test_bumper_outside_the_allowed_folders(project: Project, tmp_path: Path) -> None:
    (line,) = problems_of(project, intro="../../etc/passwd")
    assert "outside the allowed folders" in line


def test_duplicate_message_id(project: Project) -> None:
    source = project.messages_dir / "not-alone.yaml"
    (project.messages_dir / "copy.yaml").write_text(source.read_text("utf-8"), "utf-8")
    lines = problems_of(project)
    assert any("duplicate id 'not-alone'" in line for line in lines)
    assert any(
        "messages[0]: message id 'not-alone' is claimed by several files" in line for line in lines
    )


def test_unsafe_ids(project: Project) -> None:
    lines = problems_of(project, id="../evil", messages=["Not_Safe"])
    assert any(
        line.startswith("input/episodes/test-ep.yaml: id: '../evil' is not a safe id")
        for line in lines
    )
    assert any("messages[0]: 'Not_Safe' is not a safe id" in line for line in lines)


def test_empty_message_text(project: Project) -> None:
    write_yaml(
        project.messages_dir / "empty-one.yaml",
        {
            "id": "empty-one",
            "status": "approved",
            "text": "  ",
            "approved_by": "편집팀",
            "approved_at": "2026-11-20",
        },
    )
    lines = problems_of(project, messages=["empty-one"])
    assert "input/messages/empty-one.yaml: text: is empty; write the text" in lines


def test_every_problem_is_reported_at_once(project: Project) -> None:
    lines = problems_of(
        project,
        voice="nope",
        messages=["christmas-greeting", "missing-one"],
        gap_s=99,
        target_lufs="loud",
        intro="voices/bumpers/none.wav",
    )
    fields = [line.split(": ")[1] for line in lines]
    assert sorted(fields) == sorted(
        ["gap_s", "target_lufs", "messages[0]", "messages[1]", "voice", "intro"]
    )


def test_unknown_fields_are_reported_with_the_allowed_ones(project: Project) -> None:
    lines = problems_of(project, titel="typo")
    assert lines[0].startswith(
        "input/episodes/test-ep.yaml: titel: unknown field; did you mean 'title'? allowed fields:"
    )


def test_broken_draft_elsewhere_does_not_block_an_episode(project: Project) -> None:
    (project.messages_dir / "broken-draft.yaml").write_text("id: [unclosed", "utf-8")
    load_episode(project.root / EPISODE, project)  # no InputError
    assert any(p.file == "input/messages/broken-draft.yaml" for p in validate_project(project))


def test_approved_message_needs_approver_date_and_korean(project: Project) -> None:
    write_yaml(
        project.messages_dir / "english-only.yaml",
        {"id": "english-only", "status": "approved", "text": "You are not alone."},
    )
    index = load_messages(project)
    lines = [str(p) for p in index.problems_of("input/messages/english-only.yaml")]
    assert "input/messages/english-only.yaml: approved_by: missing; this field is required" in lines
    assert "input/messages/english-only.yaml: approved_at: missing; this field is required" in lines
    assert any("has no Korean (Hangul) text" in line for line in lines)


def test_message_file_name_must_match_its_id(project: Project) -> None:
    text = (project.messages_dir / "not-alone.yaml").read_text("utf-8")
    (project.messages_dir / "not-alone.yaml").unlink()
    (project.messages_dir / "renamed.yaml").write_text(text, "utf-8")
    index = load_messages(project)
    assert any("name the file not-alone.yaml" in str(p) for p in index.problems)


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

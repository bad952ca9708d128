"""The metadata policy file: the shipped default, a project's override validated like any
input (file, field, what is allowed), and the fields no policy may let out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.inputs.policy import (
    EMBEDDED,
    FIELDS,
    SHIPPED_POLICY,
    SIDECARS,
    MetadataPolicy,
    default_policy,
    load_policy,
    read_policy,
)
from tests.conftest import write_yaml

PRIVATE = ("approved_by", "approved_at", "notes", "source", "path")
ALLOWED = (
    "episode_title, episode_date, station, message_id, message_title, attribution, cue_times, "
    "loudness, synthesis, text_sha256, tool_version"
)


def test_the_shipped_default_lets_out_only_what_the_issue_allows() -> None:
    policy = default_policy()
    assert SHIPPED_POLICY.is_file()
    expected = {
        "episode_title",
        "episode_date",
        "station",
        "message_id",
        "message_title",
        "attribution",
        "cue_times",
        "loudness",
    }
    assert expected <= policy.embedded and expected <= policy.sidecars
    assert policy.embedded | policy.sidecars <= set(FIELDS)
    assert not set(PRIVATE) & (policy.embedded | policy.sidecars | set(FIELDS))


def test_a_project_without_a_policy_uses_the_shipped_one(project: Project) -> None:
    policy, problems = load_policy(project)
    assert problems == [] and policy == default_policy()
    assert load_episode(project.episodes_dir / "2026-w47.yaml", project).policy == policy


def test_a_project_policy_replaces_the_default(project: Project) -> None:
    write_yaml(
        project.root / "input/metadata_policy.yaml",
        {"version": 1, "embedded": ["cue_times"], "sidecars": ["message_id", "cue_times"]},
    )
    policy, problems = load_policy(project)
    assert problems == [] and policy is not None
    assert policy.embedded == {"cue_times"} and policy.sidecars == {"message_id", "cue_times"}
    assert policy.source == "input/metadata_policy.yaml"


def test_an_invalid_policy_names_file_field_and_what_is_allowed(project: Project) -> None:
    write_yaml(
        project.root / "input/metadata_policy.yaml",
        {
            "version": 2,
            "embedded": ["notes", "approved_by", "message_titel", "cue_times", "cue_times"],
            "sidecars": "everything",
            "extra": True,
        },
    )
    with pytest.raises(InputError) as caught:
        load_episode(project.episodes_dir / "2026-w47.yaml", project)
    lines = [str(p) for p in caught.value.problems]
    file = "input/metadata_policy.yaml"
    assert all(line.startswith(file + ": ") for line in lines), lines
    text = "\n".join(lines)
    assert f"{file}: extra: unknown field" in text
    assert f"{file}: version: 2 is out of range" in text
    assert f"{file}: embedded[0]: 'notes' (the editor's notes) may never leave" in text
    assert f"{file}: embedded[1]: 'approved_by' (the approver) may never leave" in text
    assert f"{file}: embedded[2]: 'message_titel' is not a metadata field; allowed: " in text
    assert "message_title" in text
    assert f"{file}: embedded[4]: 'cue_times' is listed twice" in text
    assert f"{file}: sidecars: expected a list of field names" in text


def test_cli_validate_reports_a_bad_policy_with_exit_2(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    write_yaml(project.root / "input/metadata_policy.yaml", {"version": 1, "embedded": []})
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "error: input/metadata_policy.yaml: sidecars: missing" in result.stderr


def test_the_shipped_default_is_the_shipped_file() -> None:
    data = yaml.safe_load(SHIPPED_POLICY.read_text("utf-8"))
    policy = default_policy()
    assert policy.embedded == set(data["embedded"]) and policy.sidecars == set(data["sidecars"])
    assert policy.source == "audio_pipeline/data/metadata_policy.yaml"


def test_a_policy_answers_for_its_two_scopes_only() -> None:
    policy = MetadataPolicy(frozenset({"cue_times"}), frozenset({"message_id"}), "x")
    assert policy.fields(EMBEDDED) == {"cue_times"}
    assert policy.fields(SIDECARS) == {"message_id"}
    with pytest.raises(ValueError, match="unknown metadata scope 'id3'"):
        policy.fields("id3")


def policy_problems(tmp_path: Path, data: dict[str, object]) -> list[str]:
    path = write_yaml(tmp_path / "policy.yaml", data)
    policy, problems = read_policy(path, "input/metadata_policy.yaml")
    assert policy is None
    return [str(p) for p in problems]


@pytest.mark.parametrize(
    ("embedded", "line"),
    [
        (
            ["email"],
            "embedded[0]: 'email' (contact details) may never leave the production machine; "
            f"allowed: {ALLOWED}",
        ),
        (
            ["hostname"],
            "embedded[0]: 'hostname' (the production machine's name) may never leave the "
            f"production machine; allowed: {ALLOWED}",
        ),
        (
            ["cleared"],
            "embedded[0]: 'cleared' (the identifying words an editor cleared) may never leave "
            f"the production machine; allowed: {ALLOWED}",
        ),
        ([3], f"embedded[0]: '3' is not a metadata field; allowed: {ALLOWED}"),
        ("cue_times", f"embedded: expected a list of field names ({ALLOWED})"),
    ],
)
def test_a_bad_field_list_is_one_line_per_entry(
    tmp_path: Path, embedded: object, line: str
) -> None:
    data = {"version": 1, "embedded": embedded, "sidecars": ["cue_times"]}
    assert policy_problems(tmp_path, data) == [f"input/metadata_policy.yaml: {line}"]


def test_the_version_and_both_lists_are_required(tmp_path: Path) -> None:
    assert policy_problems(tmp_path, {"embedded": []}) == [
        "input/metadata_policy.yaml: version: missing; this field is required",
        "input/metadata_policy.yaml: sidecars: missing; list the fields that may be written "
        f"({ALLOWED})",
    ]


def test_an_empty_policy_lets_nothing_out(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "policy.yaml", {"version": 1, "embedded": [], "sidecars": []})
    policy, problems = read_policy(path, "input/metadata_policy.yaml")
    assert problems == [] and policy is not None
    assert policy.embedded == frozenset() and policy.sidecars == frozenset()


def test_a_policy_file_that_does_not_read_is_named_as_the_user_knows_it(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: [1\n", "utf-8")
    policy, problems = read_policy(path, "input/metadata_policy.yaml")
    assert policy is None
    assert [p.file for p in problems] == ["input/metadata_policy.yaml"]
    assert problems[0].message.startswith("invalid YAML: ")

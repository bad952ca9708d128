"""The metadata policy: the shipped default, a project's override validated like any input,
and the public projection every writer works from."""

from __future__ import annotations

import pytest
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
    default_policy,
    load_policy,
)
from audio_pipeline.metadata.policy import Timeline, rescale
from tests import metadata_helpers as mh
from tests.conftest import write_yaml

PRIVATE = ("approved_by", "approved_at", "notes", "source", "path")


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


def test_attribution_leaves_only_where_the_editor_approved_it() -> None:
    for scope in (EMBEDDED, SIDECARS):
        cues = {c.message_id: c for c in mh.view(scope).cues}
        assert cues["not-alone"].attribution == mh.APPROVED_ATTRIBUTION
        assert cues["church-prays"].attribution is None
    held_back = mh.view(EMBEDDED, mh.without(EMBEDDED, "attribution"))
    assert all(c.attribution is None for c in held_back.cues)


def test_the_public_view_holds_nothing_private() -> None:
    for scope in (EMBEDDED, SIDECARS):
        text = repr(mh.view(scope))
        for secret in (mh.SECRET_EMAIL, mh.SECRET_PHONE, mh.SECRET_NAME, "/home/producer"):
            assert secret not in text
        assert mh.UNAPPROVED_ATTRIBUTION not in text


def test_fields_the_policy_holds_back_are_not_in_the_view() -> None:
    policy = mh.without(SIDECARS, "episode_title", "message_title", "cue_times", "station")
    view = mh.view(SIDECARS, policy)
    assert view.title is None and view.station is None and view.timeline is None
    assert all(c.title is None for c in view.cues)
    assert [c.message_id for c in view.cues if c.kind == "message"] == ["not-alone", "church-prays"]


def test_timelines_rescale_to_whole_samples_without_overlap() -> None:
    assert rescale(48_000, 48_000, 44_100) == 44_100
    assert rescale(1, 48_000, 44_100) == 1  # 0.91875 rounds to 1
    assert rescale(123_457, 48_000, 22_050) == round(123_457 * 22_050 / 48_000)
    timeline = Timeline(48_000, 100_001, ((0, 33_333), (33_333, 100_001)))
    at = timeline.at(22_050)
    assert at.spans[0][1] == at.spans[1][0] and at.spans[1][1] == at.length
    assert timeline.at(48_000) is timeline

"""The fields of an episode file, one group at a time: ids and unknown fields, the slot
(slot, margin, fit, max_tempo), filling it, selecting from the queue, casting, the bed and the
deliverables; each problem one line (file, field, what is wrong, what is allowed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode
from tests.conftest import write_yaml
from tests.inputs.conftest import problems_of

PARTNER = "input/episodes/2026-w47-partner.yaml"


def edit_partner(project: Project, **fields: object) -> Path:
    path = project.root / PARTNER
    data = yaml.safe_load(path.read_text("utf-8"))
    data.update(fields)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def load_problems(project: Project, path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_episode(path, project)
    return [str(p) for p in info.value.problems]


def test_unsafe_ids(project: Project) -> None:
    lines = problems_of(project, id="../evil", messages=["Not_Safe"])
    assert any(
        line.startswith("input/episodes/test-ep.yaml: id: '../evil' is not a safe id")
        for line in lines
    )
    assert any("messages[0]: 'Not_Safe' is not a safe id" in line for line in lines)


def test_unknown_fields_are_reported_with_the_allowed_ones(project: Project) -> None:
    lines = problems_of(project, titel="typo")
    assert lines[0].startswith(
        "input/episodes/test-ep.yaml: titel: unknown field; did you mean 'title'? allowed fields:"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"voice_rotation": ["ko-azure-female", "ko-nobody"]},
            "voice_rotation[1]: unknown voice 'ko-nobody'; voices in voices/: ko-azure-female,",
        ),
        ({"voice_rotation": "ko-azure-female"}, "voice_rotation: expected a list of voice names"),
        (
            {"messages": ["not-alone", {"id": "church-prays", "voice": "ko-nobody"}]},
            "messages[1].voice: unknown voice 'ko-nobody'",
        ),
        (
            {"messages": [{"id": "church-prays", "speaker": "ko-offline"}]},
            "messages[0].speaker: unknown field; allowed fields: id, voice",
        ),
        ({"messages": [{"voice": "ko-offline"}]}, "messages[0].id: missing"),
    ],
)
def test_casting_problems_are_one_line_each(
    project: Project, change: dict[str, object], expected: str
) -> None:
    path = project.episodes_dir / "2026-w47-neural.yaml"
    data = {**yaml.safe_load(path.read_text("utf-8")), **change}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(InputError) as failure:
        load_episode(path, project)
    lines = [str(p) for p in failure.value.problems]
    assert any(expected in line for line in lines), lines
    assert all("\n" not in line for line in lines)


def test_unknown_profile_and_bad_slot_fields(project: Project) -> None:
    lines = problems_of(
        project,
        deliverables=["ebu-r128", "longwave"],
        slot="quarter hour",
        fit="snug",
        max_tempo=1.2,
    )
    text = "\n".join(lines)
    assert (
        "deliverables[1]: unknown profile 'longwave'; profiles: ebu-r128, podcast, shortwave"
        in text
    )
    assert "slot: 'quarter hour' is not a duration; write mm:ss (e.g. 15:00) or seconds" in text
    assert "fit: 'snug' is not allowed; allowed: max, exact" in text
    assert "max_tempo: 1.2 is out of range; allowed: 1 to 1.05" in text


def test_margin_must_be_shorter_than_the_slot(project: Project) -> None:
    assert any(
        "margin: must be shorter than the slot" in line
        for line in problems_of(project, slot="2:00", margin="2:00")
    )


def test_bed_problems_are_named_under_bed(project: Project) -> None:
    lines = problems_of(
        project, bed={"file": "voices/beds/none.wav", "under": "everything", "level_lu": 0}
    )
    text = "\n".join(lines)
    assert "bed.file: 'voices/beds/none.wav' does not exist" in text
    assert "bed.under: 'everything' is not allowed; allowed: programme, bumpers" in text
    assert "bed.level_lu: 0 is out of range; allowed: -40 to -6" in text


def test_two_profiles_writing_one_file_is_a_problem(project: Project) -> None:
    write_yaml(
        project.root / "input/profiles/clash.yaml",
        {
            "target_lufs": -23,
            "true_peak_dbtp": -1,
            "formats": [{"codec": "wav", "file": "{episode}-ebu-r128.{ext}"}],
        },
    )
    lines = problems_of(project, deliverables=["ebu-r128", "clash"])
    assert any("writes test-ep-ebu-r128.wav, as 'ebu-r128' does" in line for line in lines)


def test_fill_needs_an_exact_fit_and_a_gap_no_longer_than_the_longest_silence(
    project: Project,
) -> None:
    path = edit_partner(project, fit="max", fill={"max_gap_s": 4.0, "max_silence_s": 2.0})
    assert load_problems(project, path) == [
        f"{PARTNER}: fill: only a fit: exact episode is filled; set fit: exact or remove fill",
        f"{PARTNER}: fill.max_gap_s: 4 s is longer than max_silence_s (2 s): a gap is a silence",
    ]

"""Casting: a voice per message, a rotation of voices, every voice checked when loading."""

from __future__ import annotations

import pytest
import yaml

from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.speech.synthesis import cast_jobs


def test_the_neural_sample_alternates_two_voices_and_casts_one_message(project: Project) -> None:
    inputs = load_episode(project.episodes_dir / "2026-w47-neural.yaml", project)
    cast = {m.id: inputs.cast(m.id) for m in inputs.messages}
    voices = [cast[m.id][0].name for m in inputs.messages]
    assert voices == [
        "ko-azure-female",
        "ko-google-cloud-male",
        "ko-google-cloud-female",  # its own voice: it takes no turn of the rotation
        "ko-azure-female",
        "ko-google-cloud-male",
        "ko-azure-female",
    ]
    assert {fallback.name for _, fallback in cast.values() if fallback} == {"ko-offline"}
    assert [j.voice.name for j in cast_jobs(inputs, inputs.messages)] == voices
    assert {v.name for v in inputs.voices_used()} == {
        "ko-azure-female",
        "ko-google-cloud-male",
        "ko-google-cloud-female",
        "ko-offline",
    }


def test_an_episode_without_casting_speaks_with_its_voice(project: Project) -> None:
    inputs = load_episode(project.episodes_dir / "2026-w47-google.yaml", project)
    for message in inputs.messages:
        assert inputs.cast(message.id) == (inputs.voice, inputs.fallback_voice)
    assert [v.name for v in inputs.voices_used()] == ["ko-google", "ko-offline"]


def test_a_cast_voice_uses_its_own_fallback_unless_the_episode_names_one(project: Project) -> None:
    path = project.episodes_dir / "2026-w47-neural.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    del data["fallback_voice"]
    data["voice"] = "ko-offline"
    data["voice_rotation"] = ["ko-azure-male", "ko-offline"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    inputs = load_episode(path, project)
    first, second = (inputs.cast(m.id) for m in inputs.messages[:2])
    assert first[0].name == "ko-azure-male" and first[1] is not None
    assert first[1].name == "ko-offline"  # ko-azure-male's own fallback_voice
    assert second == (inputs.voice, None)


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

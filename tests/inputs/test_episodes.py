"""Loading an episode and everything it touches: every problem found, named (file, field) and
reported at once; who speaks each message; the delivery profiles; and the whole project's
validation."""

from __future__ import annotations

from pathlib import Path

import yaml

from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode, validate_project
from audio_pipeline.speech.synthesis import cast_jobs
from tests.conftest import write_yaml
from tests.inputs.conftest import episode_data, problems_of

EPISODE = "input/episodes/2026-w47.yaml"


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


def test_broken_draft_elsewhere_does_not_block_an_episode(project: Project) -> None:
    (project.messages_dir / "broken-draft.yaml").write_text("id: [unclosed", "utf-8")
    load_episode(project.root / EPISODE, project)  # no InputError
    assert any(p.file == "input/messages/broken-draft.yaml" for p in validate_project(project))


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


def test_episode_deliverables_and_slot_fields_load(project: Project) -> None:
    path = write_yaml(
        project.episodes_dir / "test-ep.yaml",
        episode_data(
            deliverables=["ebu-r128", "shortwave"],
            slot="15:00",
            margin="1:30",
            fit="exact",
            max_tempo=1.03,
            crossfade_s=0.4,
        ),
    )
    inputs = load_episode(path, project)
    ep = inputs.episode
    assert [p.name for p in inputs.delivery_profiles()] == ["ebu-r128", "shortwave"]
    assert (ep.slot_s, ep.margin_s, ep.fit, ep.max_tempo, ep.crossfade_s) == (
        900.0,
        90.0,
        "exact",
        1.03,
        0.4,
    )
    assert ep.target_length_s == 810.0


def test_no_deliverables_means_the_implicit_programme(project: Project) -> None:
    inputs = load_episode(project.root / "input/episodes/2026-w47.yaml", project)
    (profile,) = inputs.delivery_profiles()
    assert profile.name == "programme"
    assert [f.filename("2026-w47", "programme") for f in profile.formats] == [
        "2026-w47.wav",
        "2026-w47.mp3",
    ]

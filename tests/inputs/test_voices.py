"""Voice profiles: read and validated (file, field, what is allowed), their defaults, and the
lexicon each carries: the global one merged with the voice's own; a voice whose lexicon is
invalid is no usable voice."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.core.project import Project
from audio_pipeline.inputs.voices import load_global_lexicon, load_voice, load_voices
from tests.conftest import write_yaml
from tests.inputs.conftest import problems_of


def test_repository_lexicons_load_and_voices_carry_them(project: Project) -> None:
    voices, problems = load_voices(project)
    assert problems == []
    assert set(voices) == {  # lexicon files are not voices
        "ko-azure-female",
        "ko-azure-male",
        "ko-google",
        "ko-google-cloud-female",
        "ko-google-cloud-male",
        "ko-offline",
    }
    google, offline = voices["ko-google"].lexicon, voices["ko-offline"].lexicon
    assert dict(google.entries)["Jesus"] == "예수"
    assert dict(offline.entries)["능력"] == "능녁"  # espeak-only respelling
    assert "능력" not in dict(google.entries)
    assert set(google.entries) < set(offline.entries)


def test_a_lexicon_without_its_voice_is_a_problem(project: Project) -> None:
    write_yaml(project.voices_dir / "ko-ofline.lexicon.yaml", {"entries": {"하늘": "하늘"}})
    _, problems = load_voices(project)
    assert [p.file for p in problems] == ["voices/ko-ofline.lexicon.yaml"]
    assert "no voice profile voices/ko-ofline.yaml" in problems[0].message


def voice_file(project: Project, stem: str, fields: dict[str, object] | None = None) -> Path:
    return write_yaml(project.voices_dir / f"{stem}.yaml", {"engine": "espeak", **(fields or {})})


def test_a_voice_without_the_optional_fields_has_the_documented_defaults(
    project: Project,
) -> None:
    voice, problems = load_voice(voice_file(project, "plain"), project)
    assert problems == [] and voice is not None
    assert (voice.name, voice.engine, dict(voice.options)) == ("plain", "espeak", {})
    # voices/*.yaml in the README: tempo 1.0, trim -50 dBFS; pauses of 0.45 s and 0.9 s
    assert (voice.tempo, voice.trim_threshold_db) == (1.0, -50.0)
    assert (voice.sentence_pause_s, voice.paragraph_pause_s) == (0.45, 0.9)
    assert voice.fallback_voice is None and voice.description is None
    assert voice.lexicon.entries == ()  # load_voice alone: no global lexicon given


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        (
            {"name": "other"},
            "voices/x.yaml: name: 'other' does not match the file name; name the file other.yaml",
        ),
        (
            {"engine": "festival"},
            "voices/x.yaml: engine: 'festival' is not allowed; allowed: azure, espeak, "
            "google-cloud, gtts",
        ),
        ({"tempo": 3}, "voices/x.yaml: tempo: 3 is out of range; allowed: 0.5 to 2"),
        (
            {"trim_threshold_db": -10},
            "voices/x.yaml: trim_threshold_db: -10 is out of range; allowed: -90 to -20",
        ),
        (
            {"sentence_pause_s": "long"},
            "voices/x.yaml: sentence_pause_s: expected a number from 0 to 5, got str",
        ),
        (
            {"fallback_voice": "../ko-offline"},
            "voices/x.yaml: fallback_voice: '../ko-offline' is not a safe id; allowed: 1-64 "
            "characters: a-z, 0-9 and '-', starting and ending with a letter or digit",
        ),
        (
            {"voice": "ko"},
            "voices/x.yaml: voice: unknown field; allowed fields: description, engine, "
            "fallback_voice, name, options, paragraph_pause_s, sentence_pause_s, tempo, "
            "trim_threshold_db",
        ),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else "",
)
def test_a_bad_field_is_one_line_and_no_voice(
    project: Project, fields: dict[str, object], line: str
) -> None:
    voice, problems = load_voice(voice_file(project, "x", fields), project)
    assert voice is None
    assert [str(p) for p in problems] == [line]


def test_a_voice_s_own_lexicon_wins_over_the_global_one_for_that_voice_only(
    project: Project,
) -> None:
    write_yaml(project.voices_dir / "lexicon.yaml", {"entries": {"Amen": "아멘", "God": "하나님"}})
    write_yaml(project.voices_dir / "ko-offline.lexicon.yaml", {"entries": {"GOD": "갓"}})
    voices, problems = load_voices(project)
    assert problems == []
    assert voices["ko-offline"].lexicon.entries == (("Amen", "아멘"), ("GOD", "갓"))
    assert voices["ko-google"].lexicon.entries == (("Amen", "아멘"), ("God", "하나님"))


def test_an_invalid_voice_lexicon_leaves_that_voice_out(project: Project) -> None:
    write_yaml(project.voices_dir / "ko-offline.lexicon.yaml", {"entries": {"능력": "3"}})
    voices, problems = load_voices(project)
    assert "ko-offline" not in voices and "ko-google" in voices
    assert [(p.file, p.field) for p in problems] == [
        ("voices/ko-offline.lexicon.yaml", "entries.능력")
    ]


def test_an_invalid_global_lexicon_leaves_every_voice_out(project: Project) -> None:
    write_yaml(project.voices_dir / "lexicon.yaml", {"entries": {"Jesus": "Jesus"}})
    lexicon, problems = load_global_lexicon(project)
    assert lexicon is None and [p.file for p in problems] == ["voices/lexicon.yaml"]
    voices, problems = load_voices(project)
    assert voices == {}
    assert [p.file for p in problems] == ["voices/lexicon.yaml"]  # told once, not per voice


def test_voice_option_problems(project: Project) -> None:
    write_yaml(
        project.voices_dir / "bad-voice.yaml",
        {"engine": "espeak", "options": {"rate": 9000, "variant": "nobody", "speed": 1}},
    )
    lines = problems_of(project, voice="bad-voice")
    assert any("options.rate: 9000 is out of range; allowed: 80 to 450" in line for line in lines)
    assert any("options.variant: 'nobody' is not an espeak-ng variant" in line for line in lines)
    assert any("options.speed: unknown option for engine espeak" in line for line in lines)

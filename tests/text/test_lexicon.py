"""The pronunciation lexicon: loading, validation (file, entry, what is allowed), per-voice
override, and the cache key: a used entry is part of it, an unused one is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.project import Project
from audio_pipeline.engines.base import EngineAudio
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.inputs.lexicons import load_lexicon
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.speech.synthesis import clip_key, script_for
from audio_pipeline.text.lexicon import Lexicon
from tests.conftest import write_yaml


class FakeEngine:
    """Enough of an engine for the cache key."""

    name = "espeak"
    max_chars = 120

    def version(self) -> str:
        return "test"

    def resolved_options(self, options: object) -> dict[str, object]:
        return {}

    def synthesize(self, text: str, options: object) -> EngineAudio:  # pragma: no cover
        raise AssertionError("not used")


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


def test_voice_entry_overrides_global_whatever_the_letter_case() -> None:
    merged = Lexicon((("Amen", "아멘"), ("Jesus", "예수"))).merged(Lexicon((("JESUS", "지저스"),)))
    assert merged.apply("jesus Amen") == ("지저스 아멘", (("Amen", "아멘"), ("JESUS", "지저스")))


def test_entries_match_whole_words_only() -> None:
    lexicon = Lexicon((("요셉", "요쎕"), ("AD", "서기")))
    assert lexicon.apply("요셉이 ADAM 가요셉") == ("요쎕이 ADAM 가요셉", (("요셉", "요쎕"),))


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


def test_a_lexicon_without_its_voice_is_a_problem(project: Project) -> None:
    write_yaml(project.voices_dir / "ko-ofline.lexicon.yaml", {"entries": {"하늘": "하늘"}})
    _, problems = load_voices(project)
    assert [p.file for p in problems] == ["voices/ko-ofline.lexicon.yaml"]
    assert "no voice profile voices/ko-ofline.yaml" in problems[0].message


def test_cache_key_changes_with_a_used_entry_only(project: Project) -> None:
    message_file = project.messages_dir / "lexicon-test.yaml"
    write_yaml(
        message_file,
        {
            "id": "lexicon-test",
            "status": "approved",
            "text": "Jesus 안에서 능력을 얻습니다.",
            "approved_by": "편집팀",
            "approved_at": "2026-11-20",
            "approved_sha256": text_sha256("Jesus 안에서 능력을 얻습니다."),
        },
    )
    engine = FakeEngine()

    def key_with(global_entries: dict[str, str]) -> tuple[str, str]:
        write_yaml(project.voices_dir / "lexicon.yaml", {"entries": global_entries})
        inputs = load_episode(project.episodes_dir / "2026-w47.yaml", project)
        message = next(m for m in load_messages(project) if m.id == "lexicon-test")
        script = script_for(message, inputs.voice, engine)  # type: ignore[arg-type]
        return clip_key(engine, inputs.voice, script), script.spoken_text  # type: ignore[arg-type]

    base, spoken = key_with({"Jesus": "예수", "Amen": "아멘"})
    assert spoken == "예수 안에서 능녁을 얻습니다."
    unused_changed, _ = key_with({"Jesus": "예수", "Amen": "아아멘"})
    unused_added, _ = key_with({"Jesus": "예수", "Amen": "아멘", "Bible": "성경"})
    used_changed, spoken_changed = key_with({"Jesus": "지저스", "Amen": "아멘"})
    assert base == unused_changed == unused_added
    assert used_changed != base and spoken_changed.startswith("지저스")


def load_messages(project: Project) -> list[object]:
    from audio_pipeline.inputs.messages import load_messages as load

    return list(load(project).messages.values())

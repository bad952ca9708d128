"""The pronunciation lexicon: whole-word matching in any letter case and with any separation
of a name's words, the entries a text used, a voice's entries winning over the global ones, and
the cache key: a used entry is part of it, an unused one is not. (Lexicon files are read and
validated in inputs/lexicons.py.)"""

from __future__ import annotations

import pytest

from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.project import Project
from audio_pipeline.engines.base import EngineAudio
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.speech.synthesis import clip_key, script_for
from audio_pipeline.text.lexicon import EMPTY, Lexicon
from tests.conftest import write_yaml


def test_voice_entry_overrides_global_whatever_the_letter_case() -> None:
    merged = Lexicon((("Amen", "아멘"), ("Jesus", "예수"))).merged(Lexicon((("JESUS", "지저스"),)))
    assert merged.apply("jesus Amen") == ("지저스 아멘", (("Amen", "아멘"), ("JESUS", "지저스")))


def test_entries_match_whole_words_only() -> None:
    lexicon = Lexicon((("요셉", "요쎕"), ("AD", "서기")))
    assert lexicon.apply("요셉이 ADAM 가요셉") == ("요쎕이 ADAM 가요셉", (("요셉", "요쎕"),))


LEXICON = Lexicon(
    (
        ("AD", "서기"),
        ("COVID-19", "코로나 십구"),
        ("Far East", "극동"),
        ("Samaritan's Purse", "사마리안퍼스"),
        ("요셉", "요쎕"),
    )
)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Far East 방송", "극동 방송"),
        ("Far-East 방송", "극동 방송"),  # the words of a name separated by a hyphen
        ("far\neast", "극동"),  # ... by a line break, in any letter case
        ("FAR   EAST", "극동"),
        ("Samaritan’s Purse", "사마리안퍼스"),  # either apostrophe
        ("covid-19의", "코로나 십구의"),
        ("AD 70", "서기 70"),
        ("요셉이", "요쎕이"),  # a Hangul form may take a particle
        ("COVID-190", "COVID-190"),  # a digit continues the word
        ("ADAM", "ADAM"),
        ("가요셉", "가요셉"),  # Hangul before it: another word
    ],
)
def test_entries_match_whole_words_in_any_case_and_spacing(text: str, spoken: str) -> None:
    assert LEXICON.apply(text)[0] == spoken


def test_the_entries_used_are_reported_once_each_sorted() -> None:
    spoken, used = LEXICON.apply("요셉과 Far East, 요셉과 FAR EAST")
    assert spoken == "요쎕과 극동, 요쎕과 극동"
    assert used == (("Far East", "극동"), ("요셉", "요쎕"))
    assert LEXICON.apply("아무것도 없음") == ("아무것도 없음", ())
    assert EMPTY.apply("Far East") == ("Far East", ())


def test_the_longest_entry_wins() -> None:
    lexicon = Lexicon((("Jesus", "예수"), ("Jesus Christ", "예수 그리스도")))
    assert lexicon.apply("Jesus Christ, Jesus") == (
        "예수 그리스도, 예수",
        (("Jesus", "예수"), ("Jesus Christ", "예수 그리스도")),
    )


def test_a_merged_lexicon_keeps_both_and_the_override_s_spelling() -> None:
    merged = Lexicon((("a", "가"), ("c", "씨"))).merged(Lexicon((("A", "에이"), ("b", "비"))))
    assert merged.entries == (("A", "에이"), ("b", "비"), ("c", "씨"))


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

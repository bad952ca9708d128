"""The identifying-details gate: what blocks a message, what an editor's clearance does, the
project's own patterns, and approvals bound to the text (inputs/safety.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.errors import InputError
from audio_pipeline.core.models import Approval
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode, validate_project
from audio_pipeline.inputs.messages import load_messages
from audio_pipeline.inputs.safety import Gate, review_state
from tests.conftest import write_yaml

EPISODE = "input/episodes/2026-w47.yaml"
FILE = "input/messages/not-alone.yaml"
PLANTED = (
    "사랑하는 형제자매 여러분. 김철수 집사님께서 기도합니다. "
    "기도 요청은 prayer.kim@example.org 으로 보내 주세요."
)


def plant(project: Project, text: str, **fields: Any) -> None:
    """not-alone, approved for `text` (the digest recorded), with extra fields."""
    data: dict[str, Any] = {
        "id": "not-alone",
        "status": "approved",
        "title": "당신은 혼자가 아닙니다",
        "text": text,
        "approved_by": "편집팀",
        "approved_at": "2026-11-16",
        "approved_sha256": text_sha256(text),
    }
    data.update(fields)
    write_yaml(project.messages_dir / "not-alone.yaml", data)


def problems(project: Project, episode: str = EPISODE) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_episode(project.root / episode, project)
    return [str(p) for p in caught.value.problems]


def test_every_finding_is_one_line_with_the_words_why_and_fix(project: Project) -> None:
    plant(project, PLANTED)
    assert problems(project) == [
        f"{FILE}: text: identifying: '김철수 집사님': a name with a title identifies a person; "
        "remove it or use a general word (한 형제, 한 자매); or, after judging it harmless, add "
        "{words: 김철수 집사님, by: NAME} under `cleared:` in the message file",
        f"{FILE}: text: identifying: 'prayer.kim@example.org': an e-mail address reaches one "
        "person; rewrite the sentence without it (it is never read on the air)",
    ]


def test_a_cleared_finding_no_longer_blocks_but_a_new_one_does(project: Project) -> None:
    text = "김철수 집사님께서 기도합니다."
    cleared = [{"words": "김철수 집사님", "by": "편집팀", "at": "2026-11-20"}]
    plant(project, text, cleared=cleared)
    inputs = load_episode(project.root / EPISODE, project)
    gate = Gate.load(project)
    [warning] = [str(w) for w in gate.warnings(inputs.messages) if "김철수" in str(w)]
    assert warning == (
        f"{FILE}: text: identifying: '김철수 집사님': a name with a title identifies a person; "
        "cleared by 편집팀 on 2026-11-20"
    )
    plant(project, text + " 박 장로님도 함께합니다.", cleared=cleared)
    [line] = problems(project)
    assert line.startswith(f"{FILE}: text: identifying: '박 장로님': ")


def test_clearing_matches_any_spacing_but_never_an_address(project: Project) -> None:
    text = "김철수집사님께서 기도합니다. 연락은 hope@example.org 로 하세요."
    cleared = [
        {"words": "김철수 집사님", "by": "편집팀"},
        {"words": "hope@example.org", "by": "편집팀"},
    ]
    plant(project, text, cleared=cleared)
    [line] = problems(project)
    assert "'hope@example.org'" in line and "rewrite the sentence" in line


def test_a_symbol_that_would_leave_a_hole_blocks_a_decoration_does_not(project: Project) -> None:
    plant(project, "★ 오늘의 말씀 ★\n연락☎ 주세요. 힘내세요 🙏")
    [line] = problems(project)
    assert line == (
        f"{FILE}: text: speech: '☎': a symbol inside a sentence is not read on the air and "
        "would leave a hole in it; write what it means in words, or remove it; or, after "
        "judging it harmless, add {words: ☎, by: NAME} under `cleared:` in the message file"
    )


def test_letters_a_korean_voice_cannot_read_block(project: Project) -> None:
    plant(project, "主님께 영광을 돌립니다.")
    [line] = problems(project)
    assert line.startswith(f"{FILE}: text: speech: '主': a Korean voice cannot read these")


def test_the_title_and_an_approved_attribution_are_checked_too(project: Project) -> None:
    plant(
        project,
        "당신은 혼자가 아닙니다.",
        title="김철수 집사님의 편지",
        attribution="이영희 권사",
        attribution_approved=True,
    )
    lines = problems(project)
    assert [line.split(": ")[1] for line in lines] == ["title", "attribution"]
    plant(project, "당신은 혼자가 아닙니다.", attribution="이영희 권사", attribution_approved=False)
    load_episode(project.root / EPISODE, project)  # never broadcast: nothing to check


def test_project_patterns_words_and_regex(project: Project) -> None:
    write_yaml(
        project.root / "input/identifying.yaml",
        {
            "patterns": [
                {"words": "새벽빛 후원회", "reason": "the supporters' association"},
                {"regex": r"HOPE-\d{4}", "reason": "our letter reference numbers"},
            ]
        },
    )
    plant(project, "새벽빛후원회에서 보낸 편지 hope-2024 입니다.")
    assert problems(project) == [
        f"{FILE}: text: identifying: '새벽빛후원회': a project pattern: the supporters' "
        "association; remove it before approval; or, after judging it harmless, add "
        "{words: 새벽빛후원회, by: NAME} under `cleared:` in the message file",
        f"{FILE}: text: identifying: 'hope-2024': a project pattern: our letter reference "
        "numbers; remove it before approval; or, after judging it harmless, add "
        "{words: hope-2024, by: NAME} under `cleared:` in the message file",
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"regex": "(unclosed", "reason": "x"},
         "patterns[0].regex: is not a valid regular expression: missing ), unterminated "
         "subpattern at position 0"),
        ({"regex": "a*", "reason": "x"},
         "patterns[0].regex: matches empty text, so it would flag every message; make it "
         "stricter"),
        ({"words": "a", "regex": "b", "reason": "x"},
         "patterns[0]: give exactly one of 'words' (literal) or 'regex' (a regular expression)"),
        ({"words": "새벽빛"}, "patterns[0].reason: missing; this field is required"),
    ],
)  # fmt: skip
def test_a_bad_project_pattern_is_one_line_and_exit_2(
    project: Project, entry: dict[str, str], expected: str
) -> None:
    write_yaml(project.root / "input/identifying.yaml", {"patterns": [entry]})
    assert problems(project) == [f"input/identifying.yaml: {expected}"]
    assert f"input/identifying.yaml: {expected}" in [str(p) for p in validate_project(project)]


@pytest.mark.parametrize(
    ("cleared", "expected"),
    [
        (["김철수 집사님"],
         "cleared[0]: '김철수 집사님' needs who cleared it: "
         "write {words: 김철수 집사님, by: NAME}"),
        ([{"words": "김철수 집사님"}], "cleared[0].by: missing; this field is required"),
        ([{"words": "x", "by": "y", "who": "z"}], "cleared[0].who: unknown field"),
        ("김철수", "cleared: expected a list of cleared findings"),
    ],
)  # fmt: skip
def test_cleared_entries_are_validated(project: Project, cleared: object, expected: str) -> None:
    plant(project, "당신은 혼자가 아닙니다.", cleared=cleared)
    lines = [str(p) for p in load_messages(project).problems_of(FILE)]
    assert any(line.startswith(f"{FILE}: {expected}") for line in lines), lines


def test_text_changed_after_approval_is_not_approved(project: Project) -> None:
    plant(project, "당신은 혼자가 아닙니다.")
    path = project.messages_dir / "not-alone.yaml"
    path.write_text(path.read_text("utf-8").replace("혼자가", "결코 혼자가"), "utf-8")
    assert problems(project) == [
        f"{FILE}: text: text changed after approval on 2026-11-16 by 편집팀; approve again "
        "(audio-pipeline approve not-alone --by NAME)"
    ]


def test_an_approval_without_a_digest_needs_the_migration(project: Project) -> None:
    path = project.messages_dir / "not-alone.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith("approved_sha256")), "utf-8")
    [line] = problems(project)
    assert line.startswith(
        f"{FILE}: approved_sha256: approved before approvals were bound to the text; record "
        "the digest of the approved text with `audio-pipeline migrate-approvals --by NAME`"
    )


def test_the_queue_leaves_out_blocked_and_stale_messages(project: Project) -> None:
    write_yaml(
        project.episodes_dir / "queue.yaml",
        {
            "id": "queue",
            "title": "대기열",
            "date": "2026-11-29",
            "voice": "ko-offline",
            "select": {"max_messages": 8},
            "intro": "voices/bumpers/intro.wav",
            "outro": "voices/bumpers/outro.wav",
        },
    )
    plant(project, PLANTED)  # blocked
    stale = project.messages_dir / "church-prays.yaml"
    stale.write_text(stale.read_text("utf-8").replace("한마음으로", "한뜻으로"), "utf-8")
    inputs = load_episode(project.episodes_dir / "queue.yaml", project)
    assert inputs.message_index is not None
    eligible = {
        m.id for m in inputs.message_index.messages.values() if m.is_approved and not m.filler
    }
    assert eligible == {
        "hope-in-waiting",
        "light-in-darkness",
        "not-forgotten",
        "peace-for-family",
        "strength-for-today",
    }
    held = {p.file for p in inputs.message_index.problems}
    assert held == {FILE, "input/messages/church-prays.yaml"}


def test_validate_project_fails_on_an_approved_message_and_warns_on_a_pending_one(
    project: Project,
) -> None:
    plant(project, PLANTED)
    lines = [str(p) for p in validate_project(project)]
    assert any(line.startswith(f"{FILE}: text: identifying: '김철수 집사님'") for line in lines)
    pending = project.messages_dir / "christmas-greeting.yaml"
    pending.write_text(
        pending.read_text("utf-8").replace("곧 성탄절", "010-1234-5678 로 연락하세요. 곧 성탄절"),
        "utf-8",
    )
    lines = [str(p) for p in validate_project(project)]
    assert not any("christmas-greeting" in line for line in lines)
    warned = [str(w) for w in Gate.load(project).warnings(load_messages(project).messages.values())]
    assert any("christmas-greeting.yaml: text: identifying: '010-1234-5678'" in w for w in warned)


def test_the_sample_project_passes_the_gate(project: Project) -> None:
    assert validate_project(project) == []
    index = load_messages(project)
    assert all(m.is_approved for m in index.messages.values() if m.status.value == "approved")


def test_a_link_to_the_patterns_file_outside_the_project_is_refused(
    project: Project, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("patterns: []\n", "utf-8")
    (project.root / "input/identifying.yaml").unlink()
    (project.root / "input/identifying.yaml").symlink_to(outside)
    [line] = problems(project)
    assert line.startswith("input/identifying.yaml: is a link to")


def test_review_state_lists_cleared_findings_and_a_stale_approval(project: Project) -> None:
    text = "김철수 집사님께서 010-1234-5678 로 기도 제목을 받습니다."
    plant(project, text, cleared=[{"words": "김철수 집사님", "by": "편집팀"}])
    message = load_messages(project).messages["not-alone"]
    state = review_state(message, Gate.load(project))
    assert [(f.kind, f.words, f.cleared) for f in state.findings] == [
        ("korean-name", "김철수 집사님", True),
        ("phone-number", "010-1234-5678", False),
    ]
    assert state.approval is Approval.CURRENT and not state.may_air
    assert "편집팀" not in repr(state)  # the page never names an editor
    path = project.messages_dir / "not-alone.yaml"
    path.write_text(path.read_text("utf-8").replace(" 010-1234-5678 로", ""), "utf-8")
    stale = review_state(load_messages(project).messages["not-alone"], Gate.load(project))
    assert stale.approval is Approval.STALE and not stale.may_air

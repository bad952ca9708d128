"""Episodes that take their messages from the approved queue (`select:`), with the ledger."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from audio_pipeline.app.batch import why_render
from audio_pipeline.app.render import render_episode
from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.errors import InputError
from audio_pipeline.core.models import Message, SelectOrder, SelectRule, Status
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import Clip
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.programme.selection import choose, queue_for
from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.publish.ledger_records import Use
from tests.conftest import REPO, write_yaml
from tests.fakes import Recorder

SR = 48_000
# oldest approval first, ties by id (see input/messages/)
QUEUE = [
    "church-prays",
    "not-alone",
    "light-in-darkness",
    "not-forgotten",
    "peace-for-family",
    "strength-for-today",
    "hope-in-waiting",
]


def select_episode(project: Project, name: str, **select: object) -> Path:
    return write_yaml(
        project.episodes_dir / f"{name}.yaml",
        {
            "id": name,
            "title": f"{name} 방송",
            "date": "2026-11-29",
            "voice": "ko-offline",
            "select": {"status": "approved", "order": "oldest_approval", **select},
            "intro": "voices/bumpers/sting.wav",
            "outro": "voices/bumpers/sting.wav",
            "gap_s": 0.5,
        },
    )


@pytest.fixture
def queue_project(tmp_path: Path, rendered: tuple[Project, Path]) -> Project:
    root = tmp_path / "proj"
    shutil.copytree(REPO / "voices", root / "voices")
    shutil.copytree(REPO / "input", root / "input")
    return Project.at(root, cache_dir=rendered[0].cache_dir)


def problems_of(project: Project, path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_episode(path, project)
    return [str(p) for p in caught.value.problems]


# --- validation ----------------------------------------------------------------------------------


def test_select_is_validated_field_by_field(queue_project: Project) -> None:
    path = select_episode(
        queue_project,
        "bad-select",
        order="random",
        max_messages=0,
        max_duration_s="ten minutes",
        allow_repeats="yes",
        colour="blue",
    )
    assert problems_of(queue_project, path) == [
        "input/episodes/bad-select.yaml: select.colour: unknown field; allowed fields: "
        "allow_repeats, max_duration_s, max_messages, order, status",
        "input/episodes/bad-select.yaml: select.order: 'random' is not allowed; "
        "allowed: oldest_approval, newest_approval",
        "input/episodes/bad-select.yaml: select.max_messages: 0 is out of range; allowed: 1 to 200",
        "input/episodes/bad-select.yaml: select.max_duration_s: expected a number from 10 to "
        "21600, got str",
        "input/episodes/bad-select.yaml: select.allow_repeats: expected true or false, got str",
    ]


def test_select_and_messages_exclude_each_other(queue_project: Project) -> None:
    path = select_episode(queue_project, "both", max_messages=2, status="pending")
    data = path.read_text("utf-8") + "messages: [not-alone]\n"
    path.write_text(data, "utf-8")
    assert problems_of(queue_project, path) == [
        "input/episodes/both.yaml: select: an episode either lists its messages or selects "
        "them from the queue; remove 'messages' or 'select'",
        "input/episodes/both.yaml: select.status: 'pending' is not allowed; allowed: approved",
    ]
    missing = select_episode(queue_project, "no-max")
    assert problems_of(queue_project, missing) == [
        "input/episodes/no-max.yaml: select.max_messages: missing; this field is required"
    ]


def test_validate_describes_a_queue_episode(
    queue_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from audio_pipeline.cli.main import app

    select_episode(queue_project, "q", max_messages=4)
    monkeypatch.chdir(queue_project.root)
    result = CliRunner().invoke(app, ["validate", "input/episodes/q.yaml"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "ok: input/episodes/q.yaml: episode 'q', up to 4 approved messages from the queue, "
        "voice ko-offline"
    )
    assert not queue_project.ledger_path.exists()  # validating writes nothing


def test_reserved_episode_ids(queue_project: Project) -> None:
    path = select_episode(queue_project, "review", max_messages=1)
    assert problems_of(queue_project, path)[0].startswith(
        "input/episodes/review.yaml: id: 'review' is reserved"
    )


# --- the queue, pure -----------------------------------------------------------------------------


def message(msg_id: str, day: int, status: Status = Status.APPROVED) -> Message:
    return Message(
        msg_id,
        status,
        "본문",
        "편집팀",
        dt.date(2026, 11, day),
        Path(f"{msg_id}.yaml"),
        approved_sha256=text_sha256("본문"),
    )


def test_queue_order_and_what_is_left_out() -> None:
    messages = {
        m.id: m
        for m in (
            message("b", 3),
            message("a", 3),
            message("c", 1),
            message("d", 2, Status.PENDING),
            message("e", 5),
        )
    }
    rule = SelectRule(max_messages=3)
    queue = queue_for(messages, rule, used={"e": Use("aired", "2026-11-01T21:00:00+00:00")})
    assert [m.id for m in queue.candidates] == ["c", "a", "b"]
    assert queue.already_used == 1
    newest = queue_for(messages, SelectRule(3, SelectOrder.NEWEST_APPROVAL), used={})
    assert [m.id for m in newest.candidates] == ["e", "b", "a", "c"]
    used = {"c": Use("aired", "2026-11-01T21:00:00+00:00")}
    repeats = queue_for(messages, SelectRule(3, allow_repeats=True), used=used)
    assert [m.id for m in repeats.candidates] == ["a", "b", "e", "c"]  # repeats come last


def test_with_repeats_never_aired_comes_first_then_least_recently_aired() -> None:
    """A message placed in another episode but not aired yet has never aired: it comes
    before every aired one; aired ones come oldest airing first, whatever their approval."""
    messages = {m.id: m for m in (message(k, i + 1) for i, k in enumerate("abcde"))}
    used = {
        "a": Use("aired in 'w45'", "2026-11-08T21:00:00+00:00"),
        "b": Use("aired in 'w44'", "2026-11-01T21:00:00+00:00"),
        "c": Use("placed in episode 'w48'"),
    }
    queue = queue_for(messages, SelectRule(5, allow_repeats=True), used=used)
    assert [m.id for m in queue.candidates] == ["d", "e", "c", "b", "a"]
    assert queue.repeats == ("c", "b", "a")


def clip(msg_id: str, seconds: float) -> Clip:
    return Clip(msg_id, Path("x.wav"), "k", "espeak", "ko-offline", False, True, "t", seconds)


def test_choose_fills_the_slot_and_passes_over_what_does_not_fit() -> None:
    lengths = {"a": 20.0, "b": 50.0, "c": 15.0, "d": 10.0, "e": 5.0}
    queue = queue_for({k: message(k, i + 1) for i, k in enumerate(lengths)}, SelectRule(3), used={})
    asked: list[list[str]] = []

    def synthesize(batch: list[Message], first: int) -> list[Clip]:
        asked.append([m.id for m in batch])
        return [clip(m.id, lengths[m.id]) for m in batch]

    def total(messages: list[int]) -> int:  # 2 s intro and outro, 1 s gaps
        return 4 * SR + (len(messages) + 1) * SR + sum(messages)

    rule = SelectRule(max_messages=3, max_duration_s=60.0)
    chosen = choose(queue, rule, synthesize, total, SR)
    assert [c.message_id for c in chosen.chosen] == ["a", "c", "d"]
    assert chosen.did_not_fit == ["b"]
    assert asked == [["a", "b", "c"], ["d"]]
    assert chosen.programme_s == pytest.approx(2 + 1 + 20 + 1 + 15 + 1 + 10 + 1 + 2)
    assert chosen.record()["selected"] == ["a", "c", "d"]


# --- rendered ------------------------------------------------------------------------------------


def placed(project: Project, episode: str) -> list[str]:
    with Ledger(project.ledger_path) as ledger:
        render_id = ledger.current_render(episode)
        assert render_id is not None
        return [p.message_id for p in ledger.placements(render_id)]


def test_two_episodes_never_share_a_message_until_repeats_are_allowed(
    queue_project: Project,
) -> None:
    first = render_episode(queue_project, select_episode(queue_project, "q1", max_messages=2))
    assert first.messages == QUEUE[:2]
    assert placed(queue_project, "q1") == QUEUE[:2]
    out = first.output_dir
    assert out is not None
    cues = json.loads((out / "cues.json").read_text("utf-8"))
    assert cues["selection"]["selected"] == QUEUE[:2]
    assert cues["selection"]["rule"]["max_messages"] == 2
    assert [c["message_id"] for c in cues["cues"] if c["kind"] == "message"] == QUEUE[:2]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["messages"] == QUEUE[:2] and manifest["selection"] == cues["selection"]
    assert [i["name"] for i in manifest["inputs"] if i["role"] == "message"] == [
        f"input/messages/{m}.yaml" for m in QUEUE[:2]
    ]

    second = render_episode(queue_project, select_episode(queue_project, "q2", max_messages=2))
    assert second.messages == QUEUE[2:4]
    assert second.selection is not None and second.selection["left_out_already_used"] == 2

    # rendering q1 again keeps its own messages (they are not "used" by itself)
    again = render_episode(queue_project, queue_project.episodes_dir / "q1.yaml")
    assert again.messages == QUEUE[:2]

    # the unchanged episode is up to date; new approvals do not shake a rendered episode
    assert why_render(load_episode(queue_project.episodes_dir / "q1.yaml", queue_project)) is None

    repeat = render_episode(
        queue_project,
        select_episode(queue_project, "q3", max_messages=7, allow_repeats=True),
    )
    assert repeat.messages == QUEUE[4:] + QUEUE[:4]  # fresh ones first, then repeats
    assert repeat.selection is not None
    assert repeat.selection["repeats"] == QUEUE[:4]


def test_the_slot_limits_the_selection(queue_project: Project) -> None:
    report = render_episode(
        queue_project,
        select_episode(queue_project, "short", max_messages=5, max_duration_s=40),
    )
    assert report.programme is not None
    assert report.programme.duration_s <= 40.0
    assert 1 <= len(report.messages) < 5
    assert report.selection is not None
    assert report.selection["programme_s"] == pytest.approx(report.programme.duration_s, abs=1e-3)


def test_an_episode_slot_fills_the_selection_to_its_target(queue_project: Project) -> None:
    # no max_duration_s: the slot (minus its margin) is the limit, and fit: exact fills it
    path = select_episode(queue_project, "slotted", max_messages=7)
    text = path.read_text("utf-8") + "slot: '1:00'\nmargin: '0:10'\nfit: exact\n"
    path.write_text(text, "utf-8")
    report = render_episode(queue_project, path)
    assert report.programme is not None
    assert report.programme.length == 50 * SR  # filled to the target, to the sample
    assert 1 <= len(report.messages) < 7
    assert report.selection is not None and report.selection["rule"]["max_duration_s"] == 50.0


def test_an_empty_queue_is_a_one_line_problem(queue_project: Project) -> None:
    for name in QUEUE:
        path = queue_project.messages_dir / f"{name}.yaml"
        path.write_text(path.read_text("utf-8").replace("status: approved", "status: draft"))
    path = select_episode(queue_project, "empty", max_messages=3)
    assert problems_of_render(queue_project, path) == [
        "input/episodes/empty.yaml: select: no approved message in input/messages/; "
        "approve messages before rendering"
    ]
    assert not (queue_project.output_dir / "empty").exists()


def problems_of_render(project: Project, path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        render_episode(project, path)
    return [str(p) for p in caught.value.problems]


def test_the_queue_passes_over_stale_approvals_and_blocked_messages(
    queue_project: Project,
) -> None:
    stale = queue_project.messages_dir / "church-prays.yaml"
    stale.write_text(stale.read_text("utf-8").replace("한마음으로", "한뜻으로"), "utf-8")
    blocked = queue_project.messages_dir / "not-alone.yaml"
    text = "김철수 집사님께서 당신을 위해 기도합니다."
    blocked.write_text(
        "id: not-alone\nstatus: approved\ntext: " + text + "\napproved_by: 편집팀\n"
        f"approved_at: 2026-11-16\napproved_sha256: {text_sha256(text)}\n",
        "utf-8",
    )
    recorder = Recorder()
    report = render_episode(
        queue_project, select_episode(queue_project, "held", max_messages=2), reporter=recorder
    )
    assert report.messages == QUEUE[2:4]
    [warning] = [w for w in recorder.warnings if "left out of the queue" in w]
    assert "input/messages/church-prays.yaml" in warning
    assert "input/messages/not-alone.yaml" in warning


def test_a_filler_reading_is_never_chosen_from_the_queue() -> None:
    reading = replace(message("psalm", 1), filler=True)
    queue = queue_for({"psalm": reading, "a": message("a", 2)}, SelectRule(5), used={})
    assert [m.id for m in queue.candidates] == ["a"]

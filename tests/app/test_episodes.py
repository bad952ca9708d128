"""Episodes as an editor arranges them (app/episodes.py): the episode files, the approved
queue to choose from, the running order written back into the file, the slot fit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import responses
import yaml

from audio_pipeline.app import episodes
from audio_pipeline.app.episodes import Entry
from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.edit import StaleEdit, file_sha256
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.inputs.messages import load_messages
from tests.app.reports import add_render, ledger_record
from tests.conftest import write_yaml

UTC = dt.UTC


def warm(project: Project, rendered: tuple[Project, Path]) -> Project:
    return Project.at(project.root, cache_dir=rendered[0].cache_dir)


def test_the_slot_fit_says_what_to_drop(project: Project, rendered: tuple[Project, Path]) -> None:
    warm = Project.at(project.root, cache_dir=rendered[0].cache_dir)
    path = warm.episodes_dir / "2026-w47.yaml"
    path.write_text(path.read_text("utf-8") + 'slot: "1:15"\nmargin: "0:05"\n', "utf-8")
    inputs = load_episode(path, warm)
    order = [episodes.Entry(m) for m in ("not-alone", "church-prays", "not-forgotten")]
    fit = episodes.slot_fit(inputs, order, "ko-offline", load_messages(warm))
    assert not fit.fits and fit.target_s == 70.0
    assert fit.report[0].startswith("programme overruns its slot by ")
    assert any(line.startswith("drop to fit: ") for line in fit.report)
    assert fit.estimated == 0  # every clip came from the cache, for its own voice
    fit = episodes.slot_fit(inputs, order[:1], "ko-offline", load_messages(warm))
    assert fit.fits and fit.report[0].startswith("fits: ")


@pytest.mark.parametrize("name", ["../messages/not-alone", "a/b", "", "Upper", "-lead", "a" * 65])
def test_a_name_that_is_not_an_id_is_refused_before_any_file_is_touched(
    project: Project, name: str
) -> None:
    with pytest.raises(InputError) as refused:
        episodes.episode_path(project, name)
    (problem,) = refused.value.problems
    assert str(problem).startswith(f"episode: '{name[:70]}' is not a valid name; ")


def test_an_episode_file_is_read_as_it_stands(project: Project) -> None:
    path = write_yaml(
        project.episodes_dir / "mixed.yaml",
        {
            "id": "mixed",
            "title": "섞인 방송",
            "date": "2026-12-06",
            "voice": "ko-offline",
            "voice_rotation": ["ko-offline", "ko-google", 7],
            "messages": ["not-alone", {"id": "church-prays", "voice": "ko-google"}, 3],
        },
    )
    file = episodes.read_episode_file(project, "mixed")
    assert (file.name, file.path, file.id, file.title) == ("mixed", path, "mixed", "섞인 방송")
    assert (file.date, file.voice, file.selects) == ("2026-12-06", "ko-offline", False)
    assert file.entries == (Entry("not-alone"), Entry("church-prays", "ko-google"))
    assert file.rotation == ("ko-offline", "ko-google")
    write_yaml(
        project.episodes_dir / "queue.yaml",
        {"id": "queue", "date": "2026-12-13", "select": {"max_messages": 3}},
    )
    queue = episodes.read_episode_file(project, "queue")
    assert queue.selects and queue.entries == ()


def test_the_list_is_newest_first_and_an_unreadable_file_is_listed_with_why(
    project: Project,
) -> None:
    write_yaml(project.episodes_dir / "later.yaml", {"id": "later", "date": "2026-12-06"})
    (project.episodes_dir / "broken.yaml").write_text("id: [unclosed\n", "utf-8")
    (project.episodes_dir / "Not_An_Id.yaml").write_text("id: x\n", "utf-8")
    listed = episodes.episode_files(project)
    names = [f.name for f in listed]
    assert names[0] == "later"  # 2026-12-06, before the samples of 2026-11-22
    samples = sorted((p.stem for p in project.episodes_dir.glob("2026-w47*.yaml")), reverse=True)
    assert names[1 : 1 + len(samples)] == samples
    assert names[-1] == "broken" and "Not_An_Id" not in names
    broken = listed[-1]
    assert broken.id is None and broken.problems
    assert broken.problems[0].startswith("input/episodes/broken.yaml")


def queue_ids(project: Project, episode_id: str | None) -> list[str]:
    return [q.message.id for q in episodes.approved_queue(project, episode_id)]


def approved_on_disk(project: Project) -> list[str]:
    """Read independently: approved messages that are not filler readings, oldest approval
    first, ties by id."""
    found = []
    for path in project.messages_dir.glob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        if data["status"] == "approved" and not data.get("filler"):
            found.append((str(data["approved_at"]), data["id"]))
    return [message_id for _, message_id in sorted(found)]


def test_the_queue_offers_approved_messages_new_ones_first(project: Project) -> None:
    assert queue_ids(project, None) == approved_on_disk(project)
    assert all(q.used is None for q in episodes.approved_queue(project, None))
    # placed in another episode's render: offered after the new ones, with why
    add_render(
        project.ledger_path,
        ledger_record("2026-w50", ["church-prays"], dt.datetime(2026, 12, 1, tzinfo=UTC)),
    )
    offered = episodes.approved_queue(project, "2026-w51")
    assert [q.message.id for q in offered][-1] == "church-prays"
    assert offered[-1].used == "placed in episode '2026-w50'"
    # for its own episode, a placement is no reason to wait
    assert queue_ids(project, "2026-w50") == approved_on_disk(project)


def test_a_message_whose_text_changed_after_approval_is_not_offered(project: Project) -> None:
    path = project.messages_dir / "church-prays.yaml"
    path.write_text(path.read_text("utf-8").replace("한 가족입니다", "한 식구입니다"), "utf-8")
    assert "church-prays" not in queue_ids(project, None)
    assert queue_ids(project, None) == [m for m in approved_on_disk(project) if m != "church-prays"]


def test_the_running_order_is_written_into_the_file_and_the_rest_kept(project: Project) -> None:
    path = project.episodes_dir / "2026-w47.yaml"
    before = path.read_text("utf-8")
    note = episodes.set_running_order(
        project,
        "2026-w47",
        [Entry("church-prays"), Entry("not-alone", "ko-google")],
        "ko-offline",
        expected_sha256=file_sha256(path),
    )
    assert note == "saved: 2 message(s), read by ko-offline"
    data = yaml.safe_load(path.read_text("utf-8"))
    assert data["messages"] == ["church-prays", {"id": "not-alone", "voice": "ko-google"}]
    assert data["voice"] == "ko-offline"
    old = yaml.safe_load(before)
    assert {k: v for k, v in data.items() if k not in ("messages", "voice")} == {
        k: v for k, v in old.items() if k not in ("messages", "voice")
    }
    assert path.read_text("utf-8").startswith(before.splitlines()[0])  # the comment kept


def test_a_running_order_that_cannot_air_is_refused_whole(project: Project) -> None:
    path = project.episodes_dir / "2026-w47.yaml"
    before = path.read_bytes()
    order = [
        Entry("not-alone"),
        Entry("not-alone"),
        Entry("christmas-greeting"),
        Entry("nope"),
        Entry("church-prays", "nobody"),
    ]
    with pytest.raises(InputError) as refused:
        episodes.set_running_order(
            project, "2026-w47", order, "no-voice", expected_sha256=file_sha256(path)
        )
    file = "input/episodes/2026-w47.yaml"
    assert [str(p) for p in refused.value.problems] == [
        f"{file}: voice: unknown voice 'no-voice'",
        f"{file}: messages[1]: 'not-alone' is listed twice",
        f"{file}: messages[2]: message 'christmas-greeting' is pending",
        f"{file}: messages[3]: no message 'nope'",
        f"{file}: messages[4].voice: unknown voice 'nobody'",
    ]
    with pytest.raises(InputError, match="is empty; add at least one message"):
        episodes.set_running_order(
            project, "2026-w47", [], "ko-offline", expected_sha256=file_sha256(path)
        )
    with pytest.raises(StaleEdit):
        episodes.set_running_order(
            project, "2026-w47", [Entry("not-alone")], "ko-offline", expected_sha256="0" * 64
        )
    assert path.read_bytes() == before


def test_an_episode_that_takes_the_queue_has_no_running_order_to_set(project: Project) -> None:
    path = write_yaml(
        project.episodes_dir / "queue.yaml",
        {"id": "queue", "date": "2026-12-13", "select": {"max_messages": 3}},
    )
    with pytest.raises(InputError) as refused:
        episodes.set_running_order(
            project, "queue", [Entry("not-alone")], "ko-offline", expected_sha256=file_sha256(path)
        )
    assert [str(p) for p in refused.value.problems] == [
        "input/episodes/queue.yaml: select: this episode takes its messages from the queue"
    ]


@responses.activate  # any request to a speech service fails the test: none is registered
def test_a_network_voice_s_fit_is_estimated_offline_and_sends_nothing(
    project: Project, rendered: tuple[Project, Path]
) -> None:
    project = warm(project, rendered)
    inputs = load_episode(project.episodes_dir / "2026-w47.yaml", project)
    order = [Entry("not-alone", "ko-google"), Entry("church-prays")]
    fit = episodes.slot_fit(inputs, order, "ko-offline", load_messages(project))
    assert len(responses.calls) == 0
    assert [(f.message_id, f.voice, f.estimated) for f in fit.lines] == [
        ("not-alone", "ko-google", True),
        ("church-prays", "ko-offline", False),
    ]
    assert fit.target_s is None and fit.fits
    assert fit.report == (f"programme {clock_of(fit.programme_s)} (the episode has no slot)",)


def clock_of(seconds: float) -> str:
    """m:ss.s, written out here rather than taken from the product."""
    tenths = round(seconds * 10)
    return f"{tenths // 600}:{tenths % 600 // 10:02d}.{tenths % 10}"

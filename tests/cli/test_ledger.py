"""The broadcast ledger's commands (cli/ledger.py): `ledger mark-aired`, `ledger message`,
`ledger episodes`, over a ledger recorded here by hand (times relative to the real clock:
the commands check airings against it). Their lines are read as people read them; their
--json output parsed back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from audio_pipeline.core.project import ENV_LEDGER
from tests.app.reports import add_render, ledger_record
from tests.cli.conftest import invoke

UTC = dt.UTC
NOW = dt.datetime.now(UTC).replace(second=0, microsecond=0)
FIRST = NOW - dt.timedelta(days=3)  # the first render
AIRED = NOW - dt.timedelta(days=2)
AGAIN = NOW - dt.timedelta(days=1)  # rendered again, without church-prays
TITLE = "소망의 메시지 [/b] 「{title}」 " + "긴 제목 " * 30  # markup-like, long, in braces


def minute(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose ledger holds two renders of 2026-w47; the first aired in between."""
    (tmp_path / "voices").mkdir()
    (tmp_path / "input").mkdir()
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "ledger.sqlite"
    add_render(path, ledger_record("2026-w47", ["not-alone", "church-prays"], FIRST, title=TITLE))
    marked = invoke("ledger", "mark-aired", "2026-w47", "--at", AIRED.isoformat())
    assert marked.exit_code == 0, marked.stderr
    add_render(path, ledger_record("2026-w47", ["not-alone"], AGAIN, title=TITLE))
    return path


def test_an_airing_is_tied_to_the_render_that_was_current_then(ledger: Path) -> None:
    again = invoke("ledger", "mark-aired", "2026-w47", "--at", AIRED.isoformat())
    # the render that aired placed two messages, the latest only one
    assert again.stdout == (
        f"already recorded: episode 2026-w47 aired at {AIRED.isoformat()} (2 message(s))\n"
    )
    later = NOW - dt.timedelta(hours=1)
    result = invoke("ledger", "mark-aired", "2026-w47", "--at", later.isoformat())
    assert (
        result.stdout == f"recorded: episode 2026-w47 aired at {later.isoformat()} (1 message(s))\n"
    )


def test_a_message_dropped_by_a_later_render_keeps_the_airing_it_had(ledger: Path) -> None:
    result = invoke("ledger", "message", "church-prays")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"church-prays: episode 2026-w47 (2026-11-22) 「{TITLE}」, message 2, read by "
        f"ko-offline, 0:40.0 to 1:05.0; rendered {minute(FIRST)} (an earlier render of this "
        f"episode); aired: {minute(AIRED)}"
    ]
    both = invoke("ledger", "message", "not-alone").stdout.splitlines()
    assert [line.split("; ")[-1] for line in both] == [
        f"aired: {minute(AIRED)}",
        "aired: not aired yet",
    ]
    assert f"rendered {minute(AGAIN)};" in both[1]


def test_message_json_for_scripts(ledger: Path) -> None:
    result = invoke("ledger", "message", "not-alone", "--json")
    doc = json.loads(result.stdout)
    assert doc["message_id"] == "not-alone"
    assert [(p["current"], p["aired"], p["episode_title"]) for p in doc["placements"]] == [
        (False, [AIRED.isoformat()], TITLE),
        (True, [], TITLE),
    ]
    assert [(p["position"], p["start_s"], p["end_s"]) for p in doc["placements"]] == [
        (1, 10.0, 35.0),
        (1, 10.0, 35.0),
    ]


def test_episodes_lists_the_latest_render_and_how_many_there_were(ledger: Path) -> None:
    result = invoke("ledger", "episodes")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"2026-w47  2026-11-22  1 message(s), 3:20.0  rendered {minute(AGAIN)} (render #2)  "
        f"aired: {minute(AIRED)}  「{TITLE}」",
        "1 episode(s) in ledger.sqlite",
    ]


def test_episodes_json_parses_back_whole(ledger: Path) -> None:
    result = invoke("ledger", "episodes", "--json")
    assert result.exit_code == 0
    (episode,) = json.loads(result.stdout)["episodes"]
    assert episode["title"] == TITLE  # long, markup-like text: not wrapped, not read as markup
    assert (episode["renders"], episode["messages"], episode["duration_s"]) == (2, 1, 200.0)
    assert episode["aired"] == [AIRED.isoformat()]


def test_an_airing_before_the_first_render_is_refused_in_one_line(ledger: Path) -> None:
    early = FIRST - dt.timedelta(hours=1)
    result = invoke("ledger", "mark-aired", "2026-w47", "--at", early.isoformat())
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --at: episode '2026-w47' was first rendered at {FIRST.isoformat()}; it cannot "
        f"have aired at {early.isoformat()}\n"
    )


def test_a_time_without_an_offset_is_local_time(ledger: Path) -> None:
    local = (NOW - dt.timedelta(hours=2)).astimezone()  # this machine's zone
    written = local.strftime("%Y-%m-%dT%H:%M")
    result = invoke("ledger", "mark-aired", "2026-w47", "--at", written)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"recorded: episode 2026-w47 aired at {local.isoformat()} ")


def test_the_ledger_commands_need_no_project_when_the_ledger_is_named(
    ledger: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path_factory.mktemp("outside")  # no project here nor above
    monkeypatch.chdir(outside)
    refused = invoke("ledger", "episodes")
    assert refused.exit_code == 2 and refused.stderr.startswith(f"error: no project in {outside}")
    monkeypatch.setenv(ENV_LEDGER, str(ledger))
    result = invoke("ledger", "episodes")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"1 episode(s) in {ledger}"

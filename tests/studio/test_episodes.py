"""Episodes in the studio (studio/episodes.py), over real HTTP requests: the list, the
running order written into the episode file (a stale page refused, a path in the form never
followed), a render refused with the command line's one line, downloads limited to the files
the render's manifest lists, an airing recorded in the ledger, and no path outside the
project reached through an episode's name."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from audio_pipeline.core.project import Project
from tests.studio.conftest import sha_of


def with_render(client: TestClient, rendered: tuple[Project, Path]) -> Path:
    """The session's render of 2026-w47 (and its ledger) copied into the studio's project."""
    project = client.app.state.project
    folder = project.output_dir / "2026-w47"
    shutil.copytree(rendered[1], folder)
    shutil.copy(rendered[0].root / "ledger.sqlite", project.root / "ledger.sqlite")
    return folder


def test_the_list_names_every_episode_file(client: TestClient) -> None:
    project = client.app.state.project
    page = client.get("/episodes").text
    for path in project.episodes_dir.glob("*.yaml"):
        assert f'href="/episodes/{path.stem}"' in page, path.stem


def test_the_running_order_is_written_into_the_episode_file(client: TestClient, csrf: str) -> None:
    path = client.app.state.project.episodes_dir / "2026-w47.yaml"
    sha = sha_of(client.get("/episodes/2026-w47").text)
    r = client.post(
        "/episodes/2026-w47/order",
        data={
            "csrf": csrf,
            "sha256": sha,
            "m": ["church-prays", "not-alone"],
            "mv": ["", ""],
            "voice": "ko-offline",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    written = yaml.safe_load(path.read_text("utf-8"))
    assert written["messages"] == ["church-prays", "not-alone"]
    assert written["voice"] == "ko-offline"


def test_a_stale_running_order_is_refused_and_nothing_is_overwritten(
    client: TestClient, csrf: str
) -> None:
    episode = client.app.state.project.episodes_dir / "2026-w47.yaml"
    sha = sha_of(client.get("/episodes/2026-w47").text)
    episode.write_text(episode.read_text("utf-8") + "# edited elsewhere\n", "utf-8")
    before = episode.read_text("utf-8")
    r = client.post(
        "/episodes/2026-w47/order",
        data={"csrf": csrf, "sha256": sha, "m": ["not-alone"], "mv": [""], "voice": "ko-offline"},
    )
    assert r.status_code == 409 and "changed on disk since you opened it" in r.text
    assert episode.read_text("utf-8") == before


def test_a_path_in_the_form_is_never_followed(client: TestClient, csrf: str) -> None:
    episode = client.app.state.project.episodes_dir / "2026-w47.yaml"
    before = episode.read_text("utf-8")
    r = client.post(
        "/episodes/2026-w47/arrange",
        data={"csrf": csrf, "m": ["../../etc/passwd"], "op": "add:../x", "voice": "ko-offline"},
    )
    assert r.status_code == 200
    assert 'value="../x"' not in r.text and "no such message" in r.text
    assert "root:" not in r.text
    r = client.post(
        "/episodes/2026-w47/order",
        data={"csrf": csrf, "sha256": "0" * 64, "m": ["../../etc/passwd"], "voice": "../x"},
    )
    assert r.status_code in (409, 422)
    assert episode.read_text("utf-8") == before


def test_a_render_that_cannot_start_shows_the_clis_one_line(client: TestClient, csrf: str) -> None:
    project = client.app.state.project
    message = project.messages_dir / "not-alone.yaml"
    message.write_text(
        message.read_text("utf-8").replace("힘을 내십시오.", "힘을 내세요."), "utf-8"
    )
    r = client.post("/episodes/2026-w47/render", data={"csrf": csrf})
    assert r.status_code == 422
    assert (
        "error: input/messages/not-alone.yaml: text: text changed after approval on 2026-11-16 by "
        "편집팀; approve again (audio-pipeline approve not-alone --by NAME)"
    ) in r.text
    page = client.get("/episodes/2026-w47").text
    assert "This episode cannot be rendered as it stands" in page
    assert client.app.state.renders.latest("2026-w47") is None
    assert not (project.output_dir / "2026-w47").exists()


def test_downloads_are_only_the_files_the_manifest_lists(
    client: TestClient, rendered: tuple[Project, Path]
) -> None:
    folder = with_render(client, rendered)
    (folder / "planted.txt").write_text("not from the render", "utf-8")
    assert client.get("/episodes/2026-w47/files/planted.txt").status_code == 404
    assert client.get("/episodes/2026-w47/files/manifest.json").status_code == 404
    r = client.get("/episodes/2026-w47/files/2026-w47.wav", headers={"range": "bytes=0-99"})
    assert r.status_code == 206 and r.content == (folder / "2026-w47.wav").read_bytes()[:100]
    r = client.get("/episodes/2026-w47/files/broadcast-log.csv")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    assert r.content == (folder / "broadcast-log.csv").read_bytes()
    page = client.get("/episodes/2026-w47").text
    cues = json.loads((folder / "cues.json").read_text("utf-8"))
    assert page.count('class="cue"') == len(cues["cues"]) and "planted.txt" not in page


def test_an_airing_is_recorded_in_the_ledger(
    client: TestClient, csrf: str, rendered: tuple[Project, Path]
) -> None:
    with_render(client, rendered)
    ledger = client.app.state.project.root / "ledger.sqlite"
    # now, in Seoul: after the render (an airing before it is refused)
    at = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).replace(microsecond=0).isoformat()
    r = client.post(
        "/episodes/2026-w47/aired", data={"csrf": csrf, "at": at}, follow_redirects=False
    )
    told = re.findall(r"<li>([^<]*)</li>", r.text)
    assert (r.status_code, told) == (303, [])
    assert (r.status_code, r.headers["location"]) == (303, "/episodes/2026-w47")
    shown = client.get("/episodes/2026-w47").text
    assert re.search(rf"recorded: episode 2026-w47 aired at {re.escape(at)} \(\d+ message", shown)
    with contextlib.closing(sqlite3.connect(ledger)) as db:
        rows = db.execute("SELECT episode_id, aired_at FROM airings").fetchall()
    assert len(rows) == 1 and rows[0][0] == "2026-w47"
    # the same airing again is not a second row
    client.post("/episodes/2026-w47/aired", data={"csrf": csrf, "at": at})
    with contextlib.closing(sqlite3.connect(ledger)) as db:
        assert db.execute("SELECT count(*) FROM airings").fetchone() == (1,)
    bad = client.post("/episodes/2026-w47/aired", data={"csrf": csrf, "at": "next sunday"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/episodes/..%2Fmessages%2Fnot-alone"),
        ("GET", "/episodes/%2Fetc%2Fpasswd"),
        ("POST", "/episodes/..%2Fmessages%2Fnot-alone/order"),
        ("POST", "/episodes/..%2F..%2Fvoices/render"),
        ("GET", "/episodes/..%2F..%2Fvoices/events"),
        ("GET", "/episodes/2026-w47/files/..%2F..%2Finput%2Fmessages%2Fnot-alone.yaml"),
        ("GET", "/episodes/2026-w47/files/%2Fetc%2Fpasswd"),
        ("GET", "/episodes/2026-w47/files/clips%2F..%2F..%2F..%2Fledger.sqlite"),
        ("GET", "/episodes/..%2F..%2Fetc/files/passwd"),
    ],
)
def test_a_path_out_of_the_project_is_refused(
    client: TestClient, csrf: str, method: str, url: str
) -> None:
    r = client.request(method, url, data={"csrf": csrf, "by": "x", "text": "글"})
    assert r.status_code in (404, 422), (url, r.status_code)
    # nothing of the file named came back (a passwd line, a message, a ledger)
    assert "root:" not in r.text and "text:" not in r.text and "SQLite" not in r.text

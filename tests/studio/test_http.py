"""The studio over real HTTP requests (Starlette's TestClient drives the ASGI app in-process,
through the middleware, as a browser's requests would): what it refuses, and why.

Each case is one of the promises of the README's "Studio" section: CSRF on every change,
a non-loopback bind needs a password, no path outside the project, a stale edit refused,
one render per episode at a time, a strict CSP on every answer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from audio_pipeline.core.project import Project
from audio_pipeline.publish.outputdir import episode_lock
from audio_pipeline.studio.security import CSP, ENV_PASSWORD
from audio_pipeline.studio.server import check_bind, create_app

BASE = "http://127.0.0.1:8765"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sha_of(html: str) -> str:
    found = re.search(r'name="sha256" value="([0-9a-f]{64})"', html)
    assert found, "no file digest in the page"
    return found.group(1)


@pytest.fixture
def client(warm_project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(warm_project), base_url=BASE) as c:
        yield c


@pytest.fixture
def csrf(client: TestClient) -> str:
    return csrf_of(client.get("/messages/new").text)


def test_every_answer_carries_the_strict_policy(client: TestClient) -> None:
    for url in ("/messages", "/messages/not-alone", "/episodes", "/ledger", "/static/studio.css"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-security-policy"] == CSP
        assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
    cookie = client.get("/messages").headers.get("set-cookie") or ""
    fresh = TestClient(client.app, base_url=BASE).get("/messages").headers["set-cookie"]
    assert "HttpOnly" in fresh and "SameSite=Strict" in fresh, (cookie, fresh)
    # pages hold no inline script or style: everything comes from /static/
    page = client.get("/messages/not-alone").text
    assert "<script>" not in page and "style=" not in page and "<style" not in page


def test_a_change_without_the_csrf_token_is_refused(client: TestClient, csrf: str) -> None:
    path = client.app.state.project.messages_dir / "not-alone.yaml"
    before = path.read_bytes()
    sha = sha_of(client.get("/messages/not-alone").text)
    attempts = [
        ("/messages/not-alone/reject", {"by": "x", "sha256": sha}),
        ("/messages/not-alone", {"title": "x", "text": "바뀐 글", "sha256": sha}),
        ("/messages", {"id": "planted", "text": "글"}),
        ("/episodes/2026-w47/render", {}),
        ("/episodes/2026-w47/aired", {"at": "2026-11-22T21:00+09:00"}),
    ]
    for url, data in attempts:
        assert client.post(url, data=data).status_code == 403, url
        assert client.post(url, data={**data, "csrf": "not-the-token"}).status_code == 403, url
        r = client.post(url, data=data, headers={"x-csrf-token": "wrong"})
        assert r.status_code == 403, url
    # another site's page posting with the right token (it cannot know it) is refused too
    r = client.post(
        "/messages/not-alone/reject",
        data={"by": "x", "sha256": sha, "csrf": csrf},
        headers={"origin": "http://evil.example"},
    )
    assert r.status_code == 403
    assert path.read_bytes() == before
    assert not (path.parent / "planted.yaml").exists()
    assert client.app.state.renders.latest("2026-w47") is None
    # with the token, the same request is done
    r = client.post(
        "/messages/not-alone/reject", data={"by": "편집팀", "sha256": sha, "csrf": csrf}
    )
    assert r.status_code == 200 and "rejected" in path.read_text("utf-8")


def test_an_unknown_host_name_is_refused(client: TestClient) -> None:
    # a site that rebinds its own name to 127.0.0.1 (DNS rebinding) is not answered
    r = client.get("/messages", headers={"host": "evil.example:8765"})
    assert r.status_code == 421
    assert "not-alone" not in r.text


def test_a_non_loopback_bind_needs_a_password() -> None:
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(Exception, match=ENV_PASSWORD):
            check_bind(host, 8765, {})
    assert check_bind("127.0.0.1", 8765, {}).password is None
    assert check_bind("::1", 8765, {}).password is None
    assert check_bind("0.0.0.0", 8765, {ENV_PASSWORD: "correct horse battery"}).password


def test_the_command_refuses_to_start_without_a_password(warm_project: Project) -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV_PASSWORD}
    proc = subprocess.run(
        [sys.executable, "-m", "audio_pipeline", "studio", "--host", "0.0.0.0", "--port", "8799"],
        capture_output=True,
        text=True,
        env=env,
        cwd=warm_project.root,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and ENV_PASSWORD in lines[0] and lines[0].startswith("error:"), lines


def test_with_a_password_every_page_needs_signing_in_and_failures_are_rate_limited(
    warm_project: Project,
) -> None:
    app = create_app(warm_project, password="correct horse battery")
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        assert c.get("/messages").headers["location"] == "/login"
        assert c.get("/messages/not-alone").status_code == 303
        assert c.get("/episodes/2026-w47/files/2026-w47.wav").status_code == 303
        csrf = csrf_of(c.get("/login").text)
        for _ in range(5):
            assert c.post("/login", data={"csrf": csrf, "password": "guess"}).status_code == 401
        r = c.post("/login", data={"csrf": csrf, "password": "correct horse battery"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    with TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False) as c:
        # another client address is not limited by the first one's failures
        c.app.state.limiter.succeeded("testclient")
        csrf = csrf_of(c.get("/login").text)
        old = c.cookies.get("studio_session")
        r = c.post("/login", data={"csrf": csrf, "password": "correct horse battery"})
        assert r.status_code == 303 and r.headers["location"] == "/messages"
        assert c.cookies.get("studio_session") != old  # a new session at sign-in
        assert c.get("/messages").status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/messages/..%2F..%2Fvoices%2Fko-offline"),
        ("GET", "/messages/%2E%2E"),
        ("GET", "/messages/..%2Fepisodes%2F2026-w47"),
        ("GET", "/messages/not-alone%00"),
        ("GET", "/messages/..%2F..%2F..%2Fetc%2Fpasswd/preview.wav"),
        ("POST", "/messages/..%2F..%2Fvoices%2Fko-offline/check"),
        ("POST", "/messages/..%2Fepisodes%2F2026-w47/approve"),
        ("POST", "/messages/%2Fetc%2Fpasswd"),
        ("GET", "/episodes/..%2Fmessages%2Fnot-alone"),
        ("GET", "/episodes/%2Fetc%2Fpasswd"),
        ("POST", "/episodes/..%2Fmessages%2Fnot-alone/order"),
        ("POST", "/episodes/..%2F..%2Fvoices/render"),
        ("GET", "/episodes/2026-w47/files/..%2F..%2Finput%2Fmessages%2Fnot-alone.yaml"),
        ("GET", "/episodes/2026-w47/files/%2Fetc%2Fpasswd"),
        ("GET", "/episodes/2026-w47/files/clips%2F..%2F..%2F..%2Fledger.sqlite"),
        ("GET", "/episodes/..%2F..%2Fetc/files/passwd"),
        ("GET", "/static/..%2F..%2F..%2Fcore%2Fproject.py"),
    ],
)
def test_a_path_out_of_the_project_is_refused(
    client: TestClient, csrf: str, method: str, url: str
) -> None:
    r = client.request(method, url, data={"csrf": csrf, "by": "x", "text": "글"})
    assert r.status_code in (404, 422), (url, r.status_code)
    # nothing of the file named came back (a passwd line, a voice profile, a ledger)
    assert "root:" not in r.text and "engine:" not in r.text and "SQLite" not in r.text


def test_a_path_parameter_in_a_form_is_refused(client: TestClient, csrf: str) -> None:
    root = client.app.state.project.root
    r = client.post(
        "/messages", data={"csrf": csrf, "id": "../../escape", "text": "사랑합니다", "title": ""}
    )
    assert r.status_code == 422 and "not a valid id" in r.text
    assert not (root.parent / "escape.yaml").exists()
    r = client.post(
        "/episodes/2026-w47/arrange",
        data={"csrf": csrf, "m": ["../../etc/passwd"], "op": "add:../x", "voice": "ko-offline"},
    )
    assert r.status_code == 200
    assert 'value="../x"' not in r.text and "no such message" in r.text
    r = client.post(
        "/episodes/2026-w47/order",
        data={"csrf": csrf, "sha256": "0" * 64, "m": ["../../etc/passwd"], "voice": "../x"},
    )
    assert r.status_code in (409, 422)
    assert client.get("/ledger?message=../../etc").status_code == 200


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(client: TestClient, csrf: str) -> None:
    path = client.app.state.project.messages_dir / "church-prays.yaml"
    page = client.get("/messages/church-prays").text
    sha = sha_of(page)
    # another editor (or a text editor) changes the file after the page was loaded
    other = path.read_text("utf-8").replace("title:", "# a note from another editor\ntitle:")
    path.write_text(other, "utf-8")
    r = client.post(
        "/messages/church-prays",
        data={"csrf": csrf, "title": "새 제목", "text": "새 글입니다.", "sha256": sha},
    )
    assert r.status_code == 409
    assert (
        "input/messages/church-prays.yaml changed on disk since you opened it (by another editor "
        "or a text editor); reload to see it"
    ) in r.text.replace("&#39;", "'")
    assert "새 글입니다." in r.text  # the editor's words are kept in the page, not lost
    assert path.read_text("utf-8") == other
    # a decision on the stale page is refused the same way
    r = client.post(
        "/messages/church-prays/reject", data={"csrf": csrf, "by": "편집팀", "sha256": sha}
    )
    assert r.status_code == 409 and path.read_text("utf-8") == other
    # the episode's running order too
    episode = client.app.state.project.episodes_dir / "2026-w47.yaml"
    sha = sha_of(client.get("/episodes/2026-w47").text)
    episode.write_text(episode.read_text("utf-8") + "# edited elsewhere\n", "utf-8")
    r = client.post(
        "/episodes/2026-w47/order",
        data={"csrf": csrf, "sha256": sha, "m": ["not-alone"], "mv": [""], "voice": "ko-offline"},
    )
    assert r.status_code == 409 and episode.read_text("utf-8").endswith("# edited elsewhere\n")


def test_editing_an_approved_text_makes_it_pending_again(client: TestClient, csrf: str) -> None:
    path = client.app.state.project.messages_dir / "not-alone.yaml"
    sha = sha_of(client.get("/messages/not-alone").text)
    r = client.post(
        "/messages/not-alone",
        data={
            "csrf": csrf,
            "title": "당신은 혼자가 아닙니다",
            "text": "힘을 내십시오.",
            "sha256": sha,
        },
    )
    assert r.status_code == 200
    text = path.read_text("utf-8")
    assert "status: pending" in text and "approved_sha256" not in text and "approved_by" not in text
    assert "notes: Translated from English" in text  # everything else kept


def test_two_renders_of_one_episode_at_once_are_refused(client: TestClient, csrf: str) -> None:
    project = client.app.state.project
    # another process (the CLI, the batch) rendering it: the episode lock's one line
    with episode_lock(project.output_dir, "2026-w47"):
        r = client.post("/episodes/2026-w47/render", data={"csrf": csrf})
    assert r.status_code == 409
    assert "episode &#39;2026-w47&#39; is being rendered by process" in r.text
    assert client.app.state.renders.latest("2026-w47") is None
    # the studio's own render running: a second is refused, shown in the page
    first = client.post("/episodes/2026-w47/render", data={"csrf": csrf}, follow_redirects=False)
    assert first.status_code == 303
    second = client.post("/episodes/2026-w47/render", data={"csrf": csrf})
    assert second.status_code == 409
    assert "is being rendered by process" in second.text
    job = client.app.state.renders.latest("2026-w47")
    deadline = time.monotonic() + 120
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.ok, job.lines


def test_a_failed_render_shows_the_clis_one_line(client: TestClient, csrf: str) -> None:
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


def test_downloads_are_only_the_files_the_manifest_lists(
    client: TestClient, rendered: tuple[Project, Path]
) -> None:
    import shutil

    project = client.app.state.project
    shutil.copytree(rendered[1], project.output_dir / "2026-w47")
    folder = project.output_dir / "2026-w47"
    (folder / "planted.txt").write_text("not from the render", "utf-8")
    assert client.get("/episodes/2026-w47/files/planted.txt").status_code == 404
    assert client.get("/episodes/2026-w47/files/manifest.json").status_code == 404
    r = client.get("/episodes/2026-w47/files/2026-w47.wav", headers={"range": "bytes=0-99"})
    assert r.status_code == 206 and len(r.content) == 100
    r = client.get("/episodes/2026-w47/files/broadcast-log.csv")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    page = client.get("/episodes/2026-w47").text
    assert page.count('class="cue"') == 13 and "planted.txt" not in page


def test_sessions_are_bounded_and_a_signed_in_one_is_kept() -> None:
    from audio_pipeline.studio.security import MAX_SESSIONS, Sessions

    sessions = Sessions()
    editor = sessions.new()
    editor.signed_in = True
    made = [sessions.new() for _ in range(MAX_SESSIONS + 50)]
    assert len(sessions._by_token) <= MAX_SESSIONS
    assert sessions.get(editor.token) is editor and sessions.get(made[-1].token) is made[-1]

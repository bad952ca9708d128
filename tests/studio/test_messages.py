"""Messages in the studio (studio/messages.py), over real HTTP requests: the list by status,
a new message written to its file, the live check, edits and decisions written through the
library (a stale page refused, an edited approved text pending again), the preview and the
same clip as heard on air, and no path outside the project reached through a message's id."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from scipy.io import wavfile as scipy_wav
from starlette.testclient import TestClient

from tests.studio.conftest import BASE, csrf_of, sha_of


def listed(html: str) -> list[str]:
    """The message ids of the list page, in the order shown."""
    return re.findall(r"<td><code>([a-z0-9-]+)</code></td>", html)


def test_the_list_shows_every_message_and_filters_by_status_and_words(
    client: TestClient,
) -> None:
    project = client.app.state.project
    on_disk = sorted(p.stem for p in project.messages_dir.glob("*.yaml"))
    everything = listed(client.get("/messages").text)
    assert sorted(everything) == on_disk and len(everything) == len(set(everything))
    assert listed(client.get("/messages?status=pending").text) == ["christmas-greeting"]
    assert listed(client.get("/messages?status=rejected").text) == ["rejected-example"]
    assert listed(client.get("/messages?q=church").text) == ["church-prays"]
    assert "No messages match." in client.get("/messages?q=zzz-nothing").text


def test_a_new_message_is_written_to_its_file_and_a_taken_id_is_refused(
    client: TestClient, csrf: str
) -> None:
    project = client.app.state.project
    form = {"csrf": csrf, "id": "new-hope", "title": "새 소망", "text": "힘내세요."}
    r = client.post("/messages", data=form, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/messages/new-hope")
    written = yaml.safe_load((project.messages_dir / "new-hope.yaml").read_text("utf-8"))
    assert (written["status"], written["title"], written["text"].strip()) == (
        "pending",
        "새 소망",
        "힘내세요.",
    )
    again = client.post("/messages", data={**form, "text": "다른 글"})
    assert again.status_code == 422
    assert "다른 글" in again.text  # the editor's words are kept in the page
    assert "힘내세요." in (project.messages_dir / "new-hope.yaml").read_text("utf-8")


def test_the_live_check_speaks_the_script_and_tells_findings(client: TestClient, csrf: str) -> None:
    r = client.post(
        "/messages/not-alone/check", data={"csrf": csrf, "text": "3일 동안 기도합니다."}
    )
    assert r.status_code == 200
    spoken = re.search(r'<ol class="script" lang="ko" id="script">\s*<li>([^<]*)</li>', r.text)
    assert spoken and spoken.group(1) == "삼 일 동안 기도합니다."  # the number as it is spoken
    named = client.post(
        "/check", data={"csrf": csrf, "text": "기도 요청은 pray@example.org 로 보내 주세요."}
    )
    assert named.status_code == 200
    assert '<p class="badge s-blocking" id="blocking">1 finding(s) block approval</p>' in named.text
    plain = client.post("/check", data={"csrf": csrf, "text": "힘내세요."})
    assert "nothing blocks approval" in plain.text
    # nothing was written by checking
    assert not (client.app.state.project.messages_dir / "new-message.yaml").exists()


def test_a_decision_is_written_with_who_made_it(client: TestClient, csrf: str) -> None:
    path = client.app.state.project.messages_dir / "christmas-greeting.yaml"
    sha = sha_of(client.get("/messages/christmas-greeting").text)
    r = client.post(
        "/messages/christmas-greeting/approve",
        data={"csrf": csrf, "by": "편집팀", "sha256": sha},
        follow_redirects=False,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/messages/christmas-greeting")
    written = yaml.safe_load(path.read_text("utf-8"))
    assert (written["status"], written["approved_by"]) == ("approved", "편집팀")
    assert re.fullmatch(r"[0-9a-f]{64}", written["approved_sha256"])
    # the name given is offered again in the next form
    assert 'value="편집팀"' in client.get("/messages/not-alone").text
    assert client.post("/messages/not-alone/publish", data={"csrf": csrf}).status_code == 404


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(client: TestClient, csrf: str) -> None:
    path = client.app.state.project.messages_dir / "church-prays.yaml"
    sha = sha_of(client.get("/messages/church-prays").text)
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


def test_a_preview_comes_with_the_clip_as_heard_on_shortwave(client: TestClient) -> None:
    page = client.get("/messages/not-alone").text
    r = client.post(
        "/messages/not-alone/preview",
        data={"csrf": csrf_of(page), "voice": "ko-offline"},
        headers={"HX-Request": "true", "Origin": BASE},
    )
    assert r.status_code == 200, r.text
    heard = re.search(r'<audio[^>]*src="([^"]+)"[^>]*id="heard-player"', r.text)
    assert 'id="preview-player"' in r.text and heard is not None, r.text
    assert "as heard on shortwave" in r.text and "10 dB SNR with fading" in r.text

    got = client.get(heard.group(1))
    assert got.status_code == 200 and got.headers["content-type"] == "audio/wav"
    rate, samples = scipy_wav.read(io.BytesIO(got.content))
    plain = client.get("/messages/not-alone/preview.wav")
    plain_rate, plain_samples = scipy_wav.read(io.BytesIO(plain.content))
    assert rate == 16_000 and plain_rate == 48_000
    assert abs(len(samples) / rate - len(plain_samples) / plain_rate) < 0.05
    assert got.content != plain.content


def test_no_heard_clip_before_a_preview(client: TestClient) -> None:
    assert client.get("/messages/church-prays/heard.wav").status_code == 404
    assert client.get("/messages/church-prays/preview.wav").status_code == 404


def test_a_message_that_may_not_be_previewed_is_told_in_one_line(
    client: TestClient, csrf: str
) -> None:
    r = client.post(
        "/messages/rejected-example/preview",
        data={"csrf": csrf},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422
    assert (
        "input/messages/rejected-example.yaml: status: message is rejected; it cannot be previewed"
    ) in r.text


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
    ],
)
def test_a_path_out_of_the_project_is_refused(
    client: TestClient, csrf: str, method: str, url: str
) -> None:
    r = client.request(method, url, data={"csrf": csrf, "by": "x", "text": "글"})
    assert r.status_code in (404, 422), (url, r.status_code)
    # nothing of the file named came back (a passwd line, a voice profile, an episode)
    assert "root:" not in r.text and "engine:" not in r.text and "slot:" not in r.text


def test_an_id_in_the_form_that_is_a_path_is_refused(client: TestClient, csrf: str) -> None:
    root = client.app.state.project.root
    r = client.post(
        "/messages", data={"csrf": csrf, "id": "../../escape", "text": "사랑합니다", "title": ""}
    )
    assert r.status_code == 422 and "not a valid id" in r.text
    assert not (root.parent / "escape.yaml").exists()
    assert not list(root.parent.rglob("escape.yaml"))

"""How the studio answers (studio/pages.py): every value from a file or a form escaped in the
page, a failure told by the one table as a fragment for htmx or as a page of its own with the
status it deserves, and the one-line notice after a change shown once."""

from __future__ import annotations

import html
import re

from starlette.testclient import TestClient

from tests.studio.conftest import sha_of

PLANTED = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_what_a_file_holds_is_shown_as_text_never_as_markup(client: TestClient) -> None:
    path = client.app.state.project.messages_dir / "christmas-greeting.yaml"
    path.write_text(
        re.sub(r"(?m)^title: .*$", f"title: '{PLANTED}'", path.read_text("utf-8")), "utf-8"
    )
    for url in ("/messages", "/messages/christmas-greeting"):
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert PLANTED in html.unescape(page), url  # shown, as the words it is


def test_what_a_form_sends_back_is_escaped_too(client: TestClient, csrf: str) -> None:
    r = client.post("/messages", data={"csrf": csrf, "id": "Bad Id", "text": PLANTED})
    assert r.status_code == 422
    assert "<script>alert" not in r.text and PLANTED in html.unescape(r.text)


def test_a_failure_is_a_fragment_for_htmx_and_a_page_otherwise(
    client: TestClient, csrf: str
) -> None:
    line = (
        "error: input/messages/rejected-example.yaml: status: message is rejected; it cannot be "
        "previewed"
    )
    fragment = client.post(
        "/messages/rejected-example/preview", data={"csrf": csrf}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 422
    assert not fragment.text.lstrip().startswith("<!doctype")
    assert re.findall(r"<li>([^<]*)</li>", fragment.text) == [
        line,
        "1 problem(s) found; nothing was written.",
    ]
    whole = client.post("/messages/rejected-example/preview", data={"csrf": csrf})
    assert whole.status_code == 422
    assert whole.text.startswith("<!doctype html>") and "<h1>Not done</h1>" in whole.text
    assert line in whole.text


def test_a_notice_after_a_change_is_shown_once(client: TestClient, csrf: str) -> None:
    sha = sha_of(client.get("/messages/christmas-greeting").text)
    r = client.post(
        "/messages/christmas-greeting/approve",
        data={"csrf": csrf, "by": "편집팀", "sha256": sha},
        follow_redirects=False,
    )
    assert r.status_code == 303
    shown = html.unescape(client.get(r.headers["location"]).text)
    assert "christmas-greeting: approved by 편집팀" in shown
    again = html.unescape(client.get(r.headers["location"]).text)
    assert "christmas-greeting: approved by 편집팀" not in again

"""Signing in (studio/auth.py), when the studio was started with a password: every page but
the login page needs a signed-in session, failures are limited per client, a sign-in gives a
new session (no session fixation), and signing out ends it."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from audio_pipeline.core.project import Project
from audio_pipeline.studio.server import create_app
from tests.studio.conftest import BASE, csrf_of

PASSWORD = "correct horse battery"


@pytest.fixture
def locked(warm_project: Project) -> TestClient:
    return TestClient(
        create_app(warm_project, password=PASSWORD), base_url=BASE, follow_redirects=False
    )


def test_every_page_needs_signing_in(locked: TestClient) -> None:
    with locked as c:
        assert c.get("/messages").headers["location"] == "/login"
        assert c.get("/messages/not-alone").status_code == 303
        assert c.get("/episodes/2026-w47/files/2026-w47.wav").status_code == 303
        assert c.get("/ledger").status_code == 303
        # a change, or the render's event stream, is told to sign in rather than redirected
        r = c.post("/messages", data={"csrf": csrf_of(c.get("/login").text), "id": "x"})
        assert (r.status_code, r.text) == (401, "sign in first")
        r = c.get("/episodes/2026-w47/events", headers={"accept": "text/event-stream"})
        assert r.status_code == 401
        # what the login page itself needs is open
        assert c.get("/login").status_code == 200
        assert c.get("/static/studio.css").status_code == 200


def test_failed_sign_ins_are_limited_then_refused_even_with_the_right_password(
    locked: TestClient,
) -> None:
    with locked as c:
        csrf = csrf_of(c.get("/login").text)
        for _ in range(5):
            r = c.post("/login", data={"csrf": csrf, "password": "guess"})
            assert r.status_code == 401 and "That password is not the studio's." in r.text
        r = c.post("/login", data={"csrf": csrf, "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert r.text == f"too many failed sign-ins; try again in {r.headers['retry-after']} s"
        assert c.get("/messages").status_code == 303  # still not signed in


def test_a_sign_in_gives_a_new_session_and_signing_out_ends_it(locked: TestClient) -> None:
    with locked as c:
        csrf = csrf_of(c.get("/login").text)
        before = c.cookies.get("studio_session")
        r = c.post("/login", data={"csrf": csrf, "password": PASSWORD})
        assert (r.status_code, r.headers["location"]) == (303, "/messages")
        signed_in = c.cookies.get("studio_session")
        assert signed_in and signed_in != before  # a new session at sign-in
        page = c.get("/messages")
        assert page.status_code == 200 and "not-alone" in page.text
        assert c.get("/login").headers["location"] == "/messages"  # already signed in
        # the token of the page before signing in is no longer the session's
        assert c.post("/logout", data={"csrf": csrf}).status_code == 403
        r = c.post("/logout", data={"csrf": csrf_of(page.text)})
        assert (r.status_code, r.headers["location"]) == (303, "/login")
        assert c.cookies.get("studio_session") not in (None, signed_in)
        assert c.get("/messages").headers["location"] == "/login"
        # the old cookie, replayed, is nobody's session any more
        c.cookies.clear()
        c.cookies.set("studio_session", signed_in)
        assert c.get("/messages").headers["location"] == "/login"


def test_without_a_password_there_is_nothing_to_sign_in_to(client: TestClient) -> None:
    r = client.get("/login", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/messages")
    assert client.get("/messages").status_code == 200

"""What keeps the studio safe (studio/security.py), over real HTTP requests: the security
headers on every answer, the session cookie, the CSRF token on every change, the Host check
against DNS rebinding, loopback addresses, bounded sessions and the login limiter."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from audio_pipeline.studio.security import (
    MAX_SESSIONS,
    LoginLimiter,
    Sessions,
    is_loopback,
    password_matches,
)
from tests.studio.conftest import BASE, sha_of


def directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header read back: each directive with its sources."""
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def test_every_answer_carries_the_strict_policy(client: TestClient) -> None:
    for url in ("/messages", "/messages/not-alone", "/episodes", "/ledger", "/static/studio.css"):
        r = client.get(url)
        assert r.status_code == 200, url
        csp = directives(r.headers["content-security-policy"])
        assert csp["default-src"] == ["'none'"]
        assert csp["script-src"] == csp["style-src"] == ["'self'"]  # no inline, no eval
        assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
    fresh = TestClient(client.app, base_url=BASE).get("/messages").headers["set-cookie"]
    assert fresh.startswith("studio_session=")
    assert "HttpOnly" in fresh and "SameSite=Strict" in fresh
    # a session the browser already holds is not set again
    assert "set-cookie" not in client.get("/messages").headers
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
        r = client.post(url, data=data)
        assert r.status_code == 403, url
        assert r.text == (
            "refused: this request did not carry the page's security token (CSRF); "
            "reload the page and try again"
        )
        assert client.post(url, data={**data, "csrf": "not-the-token"}).status_code == 403, url
        r = client.post(url, data=data, headers={"x-csrf-token": "wrong"})
        assert r.status_code == 403, url
    # the token in a body that is not a form is not looked for
    r = client.post("/messages", json={"id": "planted", "text": "글", "csrf": csrf})
    assert r.status_code == 403
    # another site's page posting with the right token (it cannot know it) is refused too
    r = client.post(
        "/messages/not-alone/reject",
        data={"by": "x", "sha256": sha, "csrf": csrf},
        headers={"origin": "http://evil.example"},
    )
    assert (r.status_code, r.text) == (403, "refused: the request came from another site")
    assert path.read_bytes() == before
    assert not (path.parent / "planted.yaml").exists()
    assert client.app.state.renders.latest("2026-w47") is None
    # with the token, the same request is done
    r = client.post(
        "/messages/not-alone/reject", data={"by": "편집팀", "sha256": sha, "csrf": csrf}
    )
    assert r.status_code == 200 and "status: rejected" in path.read_text("utf-8")


def test_the_token_in_the_header_is_what_htmx_sends(client: TestClient, csrf: str) -> None:
    # the live check as the page asks for it: the token in X-CSRF-Token, the origin "null"
    # a browser sends under no-referrer
    r = client.post(
        "/check",
        data={"text": "사랑합니다."},
        headers={"x-csrf-token": csrf, "origin": "null", "hx-request": "true"},
    )
    assert r.status_code == 200 and "사랑합니다." in r.text


def test_an_unknown_host_name_is_refused(client: TestClient) -> None:
    # a site that rebinds its own name to 127.0.0.1 (DNS rebinding) is not answered
    r = client.get("/messages", headers={"host": "evil.example:8765"})
    assert (r.status_code, r.text) == (421, "refused: unknown host name")
    assert client.get("/messages", headers={"host": "localhost:8765"}).status_code == 200
    assert client.get("/messages", headers={"host": "[::1]:8765"}).status_code == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("studio.example", False),
    ],
)
def test_only_loopback_addresses_are_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_sessions_are_bounded_and_a_signed_in_one_is_kept() -> None:
    sessions = Sessions()
    editor = sessions.new()
    editor.signed_in = True
    made = [sessions.new() for _ in range(MAX_SESSIONS + 50)]
    assert sessions.get(editor.token) is editor and sessions.get(made[-1].token) is made[-1]
    kept = [s for s in made if sessions.get(s.token) is s]
    assert len(kept) == MAX_SESSIONS - 1  # the oldest unsigned ones went, not the editor
    assert sessions.get(made[0].token) is None


def test_a_renewed_session_has_new_tokens_and_the_old_one_ends() -> None:
    sessions = Sessions()
    old = sessions.new()
    old.reviewer = "편집팀"
    new = sessions.renew(old)
    assert new.token != old.token and new.csrf != old.csrf
    assert new.reviewer == "편집팀"
    assert sessions.get(old.token) is None and sessions.get(new.token) is new


def test_the_limiter_counts_failures_per_client_and_a_success_clears_them() -> None:
    limiter = LoginLimiter(failures=2, window_s=60.0)
    limiter.failed("10.0.0.5")
    assert limiter.retry_after("10.0.0.5") == 0
    limiter.failed("10.0.0.5")
    assert limiter.retry_after("10.0.0.5") > 0
    assert limiter.retry_after("10.0.0.6") == 0  # another address is not held back
    limiter.succeeded("10.0.0.5")
    assert limiter.retry_after("10.0.0.5") == 0


def test_a_password_matches_only_itself() -> None:
    assert password_matches("correct horse battery", "correct horse battery")
    assert not password_matches("correct horse batter", "correct horse battery")
    assert not password_matches("", "correct horse battery")

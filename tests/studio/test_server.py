"""The studio's application and where it may listen (studio/server.py): a non-loopback bind
needs a long enough password, the host names it answers to, the routes it mounts (home,
static files and nothing outside them), and an internal error told in one line, never as a
traceback."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from audio_pipeline.core.errors import UsageError
from audio_pipeline.core.project import Project
from audio_pipeline.studio.server import Bind, check_bind, create_app, hosts_for
from tests.studio.conftest import BASE

PASSWORD = "AUDIO_PIPELINE_STUDIO_PASSWORD"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_a_non_loopback_bind_needs_a_password(host: str) -> None:
    with pytest.raises(UsageError) as refused:
        check_bind(host, 8765, {})
    assert str(refused.value) == (
        f"--host {host} lets other machines reach the studio; set a password in "
        f"${PASSWORD} first (or keep the default, 127.0.0.1)"
    )
    with pytest.raises(UsageError) as short:
        check_bind(host, 8765, {PASSWORD: "too short"})
    assert str(short.value) == f"${PASSWORD} is too short: use at least 12 characters"
    assert check_bind(host, 8765, {PASSWORD: "correct horse battery"}) == Bind(
        host, 8765, "correct horse battery"
    )


def test_loopback_needs_no_password_and_keeps_one_that_is_set() -> None:
    assert check_bind("127.0.0.1", 8765, {}) == Bind("127.0.0.1", 8765, None)
    assert check_bind("::1", 9000, {}).password is None
    assert check_bind("localhost", 8765, {PASSWORD: "pw"}).password == "pw"


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_a_port_out_of_range_is_refused(port: int) -> None:
    with pytest.raises(UsageError) as refused:
        check_bind("127.0.0.1", port, {})
    assert str(refused.value) == f"--port: {port} is not a port number (1-65535)"


def test_the_names_answered_are_loopback_the_bound_address_and_the_named_ones() -> None:
    loopback = {"127.0.0.1", "localhost", "::1"}
    assert hosts_for(Bind("127.0.0.1", 8765, None), {}) == loopback
    assert hosts_for(Bind("192.168.1.20", 8765, "x" * 12), {}) == loopback | {"192.168.1.20"}
    # a wildcard bind is not a name anybody asks for
    env = {"AUDIO_PIPELINE_STUDIO_HOSTS": " studio.example , radio.lan,"}
    assert hosts_for(Bind("0.0.0.0", 8765, "x" * 12), env) == loopback | {
        "studio.example",
        "radio.lan",
    }


def test_a_named_host_is_answered_and_others_are_not(warm_project: Project) -> None:
    app = create_app(warm_project, hosts=frozenset({"studio.example"}))
    with TestClient(app, base_url="http://studio.example:8765") as c:
        assert c.get("/messages").status_code == 200
        assert c.get("/messages", headers={"host": "127.0.0.1:8765"}).status_code == 421


def test_home_is_the_messages_list(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/messages")


def test_static_files_are_served_and_nothing_beside_them(client: TestClient) -> None:
    css = client.get("/static/studio.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/htmx.min.js").status_code == 200
    for url in ("/static/..%2F..%2F..%2Fcore%2Fproject.py", "/static/..%2Fserver.py"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "import" not in r.text


def test_an_internal_error_is_one_line_without_a_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("kaboom")

    monkeypatch.setattr("audio_pipeline.studio.ledger.open_ledger", broken)
    with TestClient(client.app, base_url=BASE, raise_server_exceptions=False) as c:
        r = c.get("/ledger")
    assert r.status_code == 500
    assert (
        "error: internal error: ZeroDivisionError: kaboom (run with --debug for the traceback, "
        "and report it)"
    ) in r.text
    assert "Traceback" not in r.text and "ledger.py" not in r.text

"""What the studio's tests share: the studio over real HTTP requests (Starlette's TestClient
drives the ASGI app in-process, through the middleware, as a browser's requests would) on a
fresh copy of the sample project with the session's warm clip cache, and the two hidden
fields every form carries, read out of the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from audio_pipeline.core.project import Project
from audio_pipeline.studio.server import create_app

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

"""The message page's preview, as heard on air: the studio plays, under the clean preview,
the same clip through the shortwave profile and over the simulated channel."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from scipy.io import wavfile as scipy_wav
from starlette.testclient import TestClient

from audio_pipeline.core.project import Project
from audio_pipeline.studio.server import create_app

BASE = "http://127.0.0.1:8765"


@pytest.fixture
def client(warm_project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(warm_project), base_url=BASE) as c:
        yield c


def test_a_preview_comes_with_the_clip_as_heard_on_shortwave(client: TestClient) -> None:
    page = client.get("/messages/not-alone").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    r = client.post(
        "/messages/not-alone/preview",
        data={"csrf": token.group(1), "voice": "ko-offline"},
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
    r = client.get("/messages/church-prays/heard.wav")
    assert r.status_code == 404

"""The gTTS engine through the real gTTS library, its HTTP layer faked with `responses`."""

from __future__ import annotations

import base64
import json

import pytest
import requests
import responses

from audio_pipeline.core.errors import EngineUnavailable, SynthesisError
from audio_pipeline.engines.base import EngineSettings, NetworkSettings
from audio_pipeline.engines.gtts_engine import GttsEngine, retry_after_seconds
from audio_pipeline.engines.ratelimit import RateLimiter
from tests.conftest import SR, batchexecute_body, sent_text

URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def engine(sleeps: Sleeps, **settings: object) -> GttsEngine:
    base: dict[str, object] = {
        "backoff_base_s": 0.1,
        "backoff_max_s": 1.0,
        "requests_per_minute": 0,
    }
    base.update(settings)
    return GttsEngine(EngineSettings(NetworkSettings(**base)), sleep=sleeps)  # type: ignore[arg-type]


@responses.activate
def test_success_sends_the_text_with_a_timeout(speechlike_mp3: bytes) -> None:
    responses.post(URL, body=batchexecute_body(speechlike_mp3))
    sleeps = Sleeps()
    audio = engine(sleeps).synthesize("안녕하세요.", {"lang": "ko"})
    assert audio.sample_rate == SR
    assert len(audio.samples) / SR == pytest.approx(1.5, abs=0.1)
    (call,) = responses.calls
    assert sent_text(call.request.body) == "안녕하세요."
    assert call.request.req_kwargs["timeout"] == (5.0, 20.0)  # gTTS's own default is None
    assert sleeps == []


@responses.activate
def test_429_is_retried_after_the_time_the_service_asks(speechlike_mp3: bytes) -> None:
    responses.post(URL, status=429, headers={"Retry-After": "3"})
    responses.post(URL, body=batchexecute_body(speechlike_mp3))
    sleeps = Sleeps()
    audio = engine(sleeps).synthesize("안녕하세요.", {})
    assert audio.requests == 2
    assert sleeps[0] >= 3.0


@responses.activate
def test_5xx_is_retried_with_growing_backoff(speechlike_mp3: bytes) -> None:
    for _ in range(3):
        responses.post(URL, status=503)
    responses.post(URL, body=batchexecute_body(speechlike_mp3))
    sleeps = Sleeps()
    assert engine(sleeps).synthesize("안녕하세요.", {}).requests == 4
    assert len(sleeps) == 3
    # equal jitter: each wait is between half and all of base * 2**(attempt-1)
    for attempt, wait in enumerate(sleeps, start=1):
        ceiling = min(1.0, 0.1 * 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectTimeout("connect timed out"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("Connection aborted.: RemoteDisconnected"),
    ],
)
@responses.activate
def test_timeouts_and_dropped_connections_are_retried(
    speechlike_mp3: bytes, failure: Exception
) -> None:
    responses.post(URL, body=failure)
    responses.post(URL, body=batchexecute_body(speechlike_mp3))
    assert engine(Sleeps()).synthesize("안녕하세요.", {}).requests == 2


@pytest.mark.parametrize(
    "answer",
    [
        ')]}\'\n\n[["wrb.fr","jQ1olc",null,null,null,null,"generic"]]\n',  # gTTS: no audio
        ')]}\'\n\n[["di",42]]\n',  # nothing for gTTS to find at all
        batchexecute_body(b"this is not an mp3 stream at all" * 20),  # undecodable audio
    ],
)
@responses.activate
def test_answers_without_usable_audio_are_retried(speechlike_mp3: bytes, answer: str) -> None:
    responses.post(URL, body=answer)
    responses.post(URL, body=batchexecute_body(speechlike_mp3))
    assert engine(Sleeps()).synthesize("안녕하세요.", {}).requests == 2


@responses.activate
def test_refused_request_is_not_retried() -> None:
    responses.post(URL, status=403)
    with pytest.raises(SynthesisError, match="403"):
        engine(Sleeps()).synthesize("안녕하세요.", {})
    assert len(responses.calls) == 1


@responses.activate
def test_consecutive_connection_failures_mark_the_engine_unavailable() -> None:
    responses.post(URL, body=requests.exceptions.ConnectionError("no route to host"))
    eng = engine(Sleeps(), unavailable_after=3)
    with pytest.raises(EngineUnavailable, match="3 connection failures in a row"):
        eng.synthesize("안녕하세요.", {})
    assert len(responses.calls) == 3
    with pytest.raises(EngineUnavailable):
        eng.synthesize("다음 문장입니다.", {})
    assert len(responses.calls) == 3  # no further request: an offline run does not wait again


@responses.activate
def test_bounded_attempts_then_unavailable_after_repeated_failures() -> None:
    responses.post(URL, status=500)
    eng = engine(Sleeps(), max_attempts=3, failed_sentences_limit=2)
    with pytest.raises(SynthesisError, match="failed after 3 attempts: 500 server error") as first:
        eng.synthesize("하나.", {})
    assert not isinstance(first.value, EngineUnavailable)
    with pytest.raises(EngineUnavailable):
        eng.synthesize("둘.", {})
    assert len(responses.calls) == 6


@responses.activate
def test_long_retry_after_gives_up_for_the_run() -> None:
    responses.post(URL, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(EngineUnavailable, match="asks to wait 3600 s"):
        engine(Sleeps()).synthesize("안녕하세요.", {})


def test_retry_after_parses_seconds_and_http_dates() -> None:
    import datetime as dt

    now = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Sun, 22 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None


def test_rate_limiter_spaces_requests() -> None:
    clock = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(60, clock=lambda: clock[0], sleep=sleep)
    for _ in range(4):
        limiter.acquire()
    assert clock[0] == pytest.approx(3.0)  # 60 a minute: one a second after the first


def test_batchexecute_fixture_matches_what_gtts_parses(speechlike_mp3: bytes) -> None:
    # the fake answer is the documented format: )]}' then compact JSON with base64 audio
    line = batchexecute_body(speechlike_mp3).splitlines()[2]
    payload = json.loads(json.loads(line)[0][2])
    assert base64.b64decode(payload[0]) == speechlike_mp3


@responses.activate
def test_failing_for_longer_than_the_budget_gives_up_for_the_run() -> None:
    responses.post(URL, status=503)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    eng = GttsEngine(
        EngineSettings(
            NetworkSettings(
                max_attempts=50, give_up_after_s=30.0, backoff_base_s=1.0, requests_per_minute=0
            )
        ),
        sleep=sleep,
        clock=lambda: now[0],
    )
    with pytest.raises(EngineUnavailable, match=r"failed every request for [0-9]+ s"):
        eng.synthesize("안녕하세요.", {})
    # given up when the next backoff would overrun the budget: never after it
    assert 30.0 - 8.0 <= now[0] <= 30.0


@pytest.mark.parametrize(
    ("failure", "connection"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), True),
        (requests.exceptions.ConnectionError("Failed to resolve 'translate.google.com'"), True),
        (requests.exceptions.ReadTimeout("read timed out"), False),
        (requests.exceptions.ChunkedEncodingError("IncompleteRead"), False),
    ],
)
def test_only_failures_where_nothing_came_back_count_as_unreachable(
    failure: Exception, connection: bool
) -> None:
    from audio_pipeline.engines.gtts_engine import transport_failure

    assert transport_failure(failure).connection is connection

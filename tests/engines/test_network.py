"""The run-wide network rules (network.py): Retry-After, what a transport failure means, the
retry loop and the give-up rules of one ServiceRun shared by every worker, usage counting.

The retry loop is driven here with scripted `send` functions and a fake clock, so every
wait and every give-up is known in advance; the engines' own tests (gTTS, Azure, Google)
run the same rules against real HTTP."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import requests
from urllib3 import exceptions as u3

from audio_pipeline.core.errors import EngineUnavailable, SynthesisError
from audio_pipeline.engines.base import (
    AudioCheck,
    Engine,
    EngineAudio,
    NetworkSettings,
)
from audio_pipeline.engines.network import (
    Attempt,
    Fatal,
    Retryable,
    ServiceRun,
    Usage,
    describe,
    retry_after_seconds,
    secure_session,
    transport_failure,
)
from tests.fakes import Clock


class Service(Engine):
    """The smallest engine a ServiceRun can keep the rules for."""

    name = "svc"
    network = True
    max_chars = 100
    options = ()

    def version(self) -> str:
        return "1"

    def probe(self) -> str | None:
        return None

    def synthesize(
        self, text: str, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        raise NotImplementedError


class Top:
    """An rng whose jitter is always the top of its range (or the bottom)."""

    def __init__(self, top: bool = True) -> None:
        self.top = top

    def uniform(self, a: float, b: float) -> float:
        return b if self.top else a


def service_run(clock: Clock | None = None, rng: object = None, **settings: Any) -> ServiceRun:
    base: dict[str, Any] = {"backoff_base_s": 1.0, "backoff_max_s": 8.0, "requests_per_minute": 0}
    net = NetworkSettings(**{**base, **settings})
    clock = clock or Clock()
    return ServiceRun(
        Service(),
        "Svc",
        net,
        sleep=clock.sleep,
        rng=rng or Top(),
        clock=clock,  # type: ignore[arg-type]
    )


def script(*answers: object) -> tuple[Callable[[Attempt], Any], list[str]]:
    """A send that gives `answers` in turn (raising the exceptions among them), and the names
    of the threads it ran in."""
    queue: Iterator[object] = iter(answers)
    threads: list[str] = []

    def send(attempt: Attempt) -> Any:
        threads.append(threading.current_thread().name)
        answer = next(queue)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return send, threads


def accept(data: Any) -> Any:
    return data


# --- Retry-After -------------------------------------------------------------------------------


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(" 12 ") == 12.0
    assert retry_after_seconds("Sun, 22 Nov 2026 12:00:30 GMT", now) == 30.0
    # a date without a zone (-0000) is read as UTC; a date already past is no wait at all
    assert retry_after_seconds("Sun, 22 Nov 2026 12:01:00 -0000", now) == 60.0
    assert retry_after_seconds("Sun, 22 Nov 2026 11:00:00 GMT", now) == 0.0
    for unreadable in ("soon", "-5", "1.5", "", None):
        assert retry_after_seconds(unreadable, now) is None


# --- what a failure that carried no answer means -----------------------------------------------


class Connection:
    def __repr__(self) -> str:
        return "<urllib3.connection.HTTPSConnection object at 0x7f3a2c1b5e10>"


def wrapped(reason: Exception) -> requests.exceptions.ConnectionError:
    """What requests raises: a ConnectionError around urllib3's MaxRetryError and its cause."""
    return requests.exceptions.ConnectionError(u3.MaxRetryError(None, "/v1", reason))  # type: ignore[arg-type]


REFUSED = u3.NewConnectionError(
    Connection(),  # type: ignore[arg-type]
    "Failed to establish a new connection: [Errno 111] Connection refused",
)


@pytest.mark.parametrize(
    ("failure", "reason", "connection"),
    [
        (requests.exceptions.ConnectTimeout("x"), "cannot connect (connect timed out)", True),
        (requests.exceptions.SSLError("x"), "cannot connect (TLS failed)", True),
        (
            wrapped(REFUSED),
            "cannot connect (Failed to establish a new connection: [Errno 111] Connection refused)",
            True,
        ),
        (requests.exceptions.ReadTimeout("x"), "no answer within the read timeout", False),
        (
            requests.exceptions.ChunkedEncodingError("x"),
            "the connection dropped in the middle of the answer",
            False,
        ),
        (
            wrapped(u3.ReadTimeoutError(None, "/v1", "read timed out")),  # type: ignore[arg-type]
            "the answer stalled (read timeout)",
            False,
        ),
        (None, "cannot connect (connection failed)", True),
    ],
)
def test_only_failures_where_nothing_came_back_count_as_unreachable(
    failure: BaseException | None, reason: str, connection: bool
) -> None:
    found = transport_failure(failure)
    assert (str(found), found.connection) == (reason, connection)


def test_urllib3_reasons_read_as_words() -> None:
    aborted = u3.ProtocolError(
        "Connection aborted.", ConnectionResetError("Remote end closed connection")
    )
    assert describe(aborted) == "Connection aborted. Remote end closed connection"
    # the connection object's repr in front of NewConnectionError's message is left out
    assert describe(REFUSED) == (
        "Failed to establish a new connection: [Errno 111] Connection refused"
    )
    assert describe(None) == "connection failed"
    assert describe(OSError()) == "OSError"  # nothing to say: at least its kind


# --- the retry loop ----------------------------------------------------------------------------


def test_an_answer_is_sent_from_a_thread_of_its_own_and_returned_with_its_attempt_count() -> None:
    send, threads = script(b"audio")
    assert service_run().call(send, accept) == (b"audio", 1)
    assert threads == ["svc-request"]  # the worker waits for it no longer than the deadline


def test_retries_wait_the_backoff_or_the_retry_after_whichever_is_longer() -> None:
    clock = Clock()
    run = service_run(clock)
    send, _ = script(Retryable("503"), Retryable("429", wait_s=5.0), Retryable("503"), b"ok")
    assert run.call(send, accept) == (b"ok", 4)
    # backoff with the jitter at its top: base 1 s doubling (1, 2, 4); the 429 asked for 5
    assert clock.sleeps == [1.0, 5.0, 4.0]


@pytest.mark.parametrize(
    ("top", "expected"), [(True, [1.0, 2.0, 4.0, 8.0, 8.0]), (False, [0.5, 1.0, 2.0, 4.0, 4.0])]
)
def test_backoff_is_exponential_with_equal_jitter_and_capped(
    top: bool, expected: list[float]
) -> None:
    run = service_run(rng=Top(top))
    assert [run.backoff(n) for n in range(1, 6)] == expected


def test_an_answer_the_caller_rejects_is_asked_for_again() -> None:
    send, _ = script(b"silent", b"speech")

    def judge(data: bytes) -> bytes:
        if data == b"silent":
            raise Retryable("answer rejected: silence")
        return data

    assert service_run().call(send, judge) == (b"speech", 2)


@pytest.mark.parametrize("empty", [b"", None])
def test_an_answer_without_audio_is_retried(empty: object) -> None:
    send, _ = script(empty, b"audio")
    assert service_run().call(send, accept) == (b"audio", 2)


def test_a_requests_failure_inside_send_is_read_as_a_transport_failure() -> None:
    send, _ = script(
        requests.exceptions.ConnectTimeout("x"),
        requests.exceptions.ConnectTimeout("x"),
        requests.exceptions.ConnectTimeout("x"),
    )
    with pytest.raises(EngineUnavailable) as failure:
        service_run(unavailable_after=3).call(send, accept)
    assert str(failure.value) == (
        "Svc unreachable: 3 connection failures in a row (cannot connect (connect timed out))"
    )


def test_a_refusal_is_not_retried() -> None:
    send, threads = script(SynthesisError("400 bad voice"), b"never")
    with pytest.raises(SynthesisError, match="400 bad voice") as failure:
        service_run().call(send, accept)
    assert not isinstance(failure.value, EngineUnavailable) and len(threads) == 1


def test_attempts_are_bounded_and_two_failed_sentences_in_a_row_give_the_service_up() -> None:
    run = service_run(max_attempts=3, failed_sentences_limit=2)
    send, threads = script(*[Retryable("500 server error")] * 6, b"never")
    with pytest.raises(SynthesisError) as first:
        run.call(send, accept)
    assert str(first.value) == "Svc failed after 3 attempts: 500 server error"
    assert not isinstance(first.value, EngineUnavailable)
    with pytest.raises(EngineUnavailable, match=r"\(2 sentences in a row\)$"):
        run.call(send, accept)
    assert len(threads) == 6
    with pytest.raises(EngineUnavailable):
        run.call(send, accept)
    assert len(threads) == 6  # given up: nothing more is sent this run


def test_a_success_between_failed_sentences_starts_the_count_again() -> None:
    run = service_run(max_attempts=2, failed_sentences_limit=2)
    fail = Retryable("503 server error")
    send, _ = script(fail, fail, b"ok", fail, fail)
    with pytest.raises(SynthesisError):
        run.call(send, accept)
    assert run.call(send, accept) == (b"ok", 1)
    with pytest.raises(SynthesisError) as again:
        run.call(send, accept)
    assert not isinstance(again.value, EngineUnavailable)


def test_connection_failures_after_a_success_never_mean_unreachable() -> None:
    run = service_run(unavailable_after=2, max_attempts=4)
    down = Retryable("cannot connect (refused)", connection=True)
    send, _ = script(b"ok", down, down, down, down)
    run.call(send, accept)
    with pytest.raises(SynthesisError) as failure:
        run.call(send, accept)
    assert not isinstance(failure.value, EngineUnavailable)
    assert "failed after 4 attempts" in str(failure.value)


def test_an_answer_no_retry_can_change_gives_the_service_up_at_once() -> None:
    run = service_run()
    send, threads = script(Fatal("Svc refused the key (401): check SVC_KEY"), b"never")
    with pytest.raises(EngineUnavailable) as failure:
        run.call(send, accept)
    assert str(failure.value) == "Svc refused the key (401): check SVC_KEY"
    assert run.engine.unavailable_reason == str(failure.value)
    with pytest.raises(EngineUnavailable):
        run.call(send, accept)
    assert len(threads) == 1


def test_a_retry_after_longer_than_a_run_should_wait_gives_the_service_up() -> None:
    send, _ = script(Retryable("429", wait_s=3600.0))
    with pytest.raises(EngineUnavailable) as failure:
        service_run(retry_after_max_s=30.0).call(send, accept)
    assert str(failure.value) == "Svc rate-limited: the service asks to wait 3600 s"


def test_a_retry_after_holds_the_next_request_of_every_worker() -> None:
    """The 429 told one worker; the pause is the run's, so the next request waits it out."""
    clock = Clock()
    run = service_run(clock, max_attempts=1, failed_sentences_limit=9)
    told, _ = script(Retryable("429", wait_s=5.0))
    with pytest.raises(SynthesisError):  # its last attempt: no backoff of its own
        run.call(told, accept)
    assert clock.sleeps == []
    other, _ = script(b"audio")
    assert run.call(other, accept) == (b"audio", 1)
    assert clock.sleeps == [5.0]


def test_failing_for_longer_than_the_budget_gives_up_before_overrunning_it() -> None:
    clock = Clock()
    run = service_run(clock, max_attempts=100, give_up_after_s=30.0)
    send, threads = script(*[Retryable("503 server error")] * 100)
    with pytest.raises(EngineUnavailable, match=r"^Svc failed every request for \d+ s"):
        run.call(send, accept)
    # backoffs of 1, 2, 4, 8, 8 s reach 23 s; the next 8 s would pass 30: given up there
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 8.0] and len(threads) == 6


# --- real time: deadlines, and workers woken when the service is given up ---------------------


def test_an_attempt_that_never_answers_is_cut_at_its_deadline() -> None:
    net = NetworkSettings(attempt_timeout_s=0.3, max_attempts=1, requests_per_minute=0)
    run = ServiceRun(Service(), "Svc", net)
    never = threading.Event()
    started = time.monotonic()
    with pytest.raises(SynthesisError, match="no complete answer within 0 s"):
        run.call(lambda attempt: never.wait(10), accept)
    assert time.monotonic() - started < 2.0
    never.set()


def test_giving_up_wakes_a_sleeping_worker_and_cuts_one_in_flight() -> None:
    net = NetworkSettings(retry_after_max_s=60.0, attempt_timeout_s=30.0, requests_per_minute=0)
    run = ServiceRun(Service(), "Svc", net)
    sending = threading.Event()
    outcomes: dict[str, BaseException] = {}

    def asleep() -> None:  # told to wait 30 s before its next try
        send, _ = script(Retryable("429", wait_s=30.0), b"never")
        try:
            run.call(send, accept)
        except BaseException as exc:
            outcomes["asleep"] = exc

    def blocked(attempt: Attempt) -> bytes:
        sending.set()
        attempt.done.wait(30)  # an answer that is not coming
        return b""

    def in_flight() -> None:
        try:
            run.call(blocked, accept)
        except BaseException as exc:
            outcomes["in_flight"] = exc

    # in flight first: a 429 told first would pause every worker (Retry-After is run-wide),
    # and the second would never send
    workers = [threading.Thread(target=in_flight), threading.Thread(target=asleep)]
    started = time.monotonic()
    workers[0].start()
    assert sending.wait(5)
    workers[1].start()
    time.sleep(0.2)  # the 429 told and its 30 s wait begun
    run.give_up("Svc: stopped for the test")
    for worker in workers:
        worker.join(10)
    assert time.monotonic() - started < 5.0
    assert {k: (type(v), str(v)) for k, v in outcomes.items()} == {
        "asleep": (EngineUnavailable, "Svc: stopped for the test"),
        "in_flight": (EngineUnavailable, "Svc: stopped for the test"),
    }


# --- usage and the session ----------------------------------------------------------------------


def test_usage_counts_every_request_from_every_thread_and_is_taken_once() -> None:
    usage = Usage()

    def work() -> None:
        for _ in range(500):
            usage.add(3)

    workers = [threading.Thread(target=work) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert usage.take() == (8 * 500 * 3, 8 * 500)
    assert usage.take() == (0, 0)


def test_the_session_verifies_certificates_and_reads_the_proxy_from_the_environment() -> None:
    session = secure_session()
    assert session.verify is True and session.trust_env is True
    assert (
        session.get_adapter("https://texttospeech.googleapis.com/") is session.adapters["https://"]
    )

"""The run-wide network rules every network engine keeps with its service.

One `ServiceRun` per engine instance (so per run, shared by every clip worker):

- every request has a (connect, read) timeout, and every attempt a total deadline that a
  watchdog enforces: a read timeout bounds each read, so an answer that trickles in a byte at
  a time would otherwise never end (found by the fault harness, tests/faultserver.py);
- 429 (honouring Retry-After, in seconds or as an HTTP date, for every worker), 5xx,
  timeouts, dropped connections, answers without audio and answers whose audio the caller
  rejects (silent, far too short) are retried with exponential backoff and jitter, a bounded
  number of times;
- the service is given up for the run when it cannot be reached at all (connection failures
  in a row before any success: an offline machine does not wait out a timeout per clip),
  when two sentences in a row failed every attempt, when the service asks to wait longer
  than a run should, or when every request has failed for `give_up_after_s`. That last rule
  bounds a render at 100 % failure whatever the failure is; in-flight attempts are cut and
  sleeping workers woken when it triggers;
- an answer that no retry can change (a wrong key, a used-up quota: `Fatal`) gives the
  service up at once for every worker, with one line saying what to fix;
- a requests-per-minute cap is shared by all workers (ratelimit.py).

A failure that reached the service (a timeout while reading, a connection dropped half-way
through the answer) is not a connection failure: counting those as "unreachable" gave a
flaky but working service up for the whole run after three hiccups.

Why this is written here rather than taken from a library: urllib3's `Retry` (what requests
mounts through `HTTPAdapter(max_retries=...)`) retries one request inside one call. It has
no deadline for a whole attempt (its timeouts are per connect and per read), honours
Retry-After only for the request that received it (no pause shared by other threads), has no
notion of giving a service up for a run across threads or of cutting requests already in
flight, and cannot retry on a 200 whose body is unusable (an empty or truncated audio
answer). tenacity and backoff decorate one call the same way. The rules above are about the
run, so they live with the run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from audio_pipeline.core.errors import EngineUnavailable, SynthesisError
from audio_pipeline.engines.base import Engine, NetworkSettings
from audio_pipeline.engines.ratelimit import RateLimiter

T = TypeVar("T")


class Retryable(Exception):
    """One attempt failed in a way worth another try."""

    def __init__(self, reason: str, *, connection: bool = False, wait_s: float | None = None):
        super().__init__(reason)
        self.connection = connection  # nothing came back at all: the service may be unreachable
        self.wait_s = wait_s


class Fatal(Exception):
    """An answer no retry can change for this run (a wrong key, a quota used up): the service
    is given up at once for every worker. The text is the one line the producer reads."""


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def transport_failure(exc: BaseException | None) -> Retryable:
    """What a requests exception (which carries no response) means for the run."""
    from urllib3 import exceptions as u3

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Retryable("cannot connect (connect timed out)", connection=True)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return Retryable("no answer within the read timeout")
    if isinstance(exc, requests.exceptions.SSLError):
        return Retryable("cannot connect (TLS failed)", connection=True)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Retryable("the connection dropped in the middle of the answer")
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", None) or reason  # MaxRetryError wraps the cause
        if isinstance(reason, u3.ReadTimeoutError):
            return Retryable("the answer stalled (read timeout)")
        return Retryable(f"cannot connect ({describe(reason)})", connection=True)
    kind = type(exc).__name__ if exc is not None else "connection failed"
    return Retryable(f"cannot connect ({kind})", connection=True)


def describe(reason: object) -> str:
    """urllib3's reasons as words: ProtocolError('Connection aborted.', RemoteDisconnected(
    'Remote end closed ...')) reads "Connection aborted. Remote end closed ...", and the
    connection object's repr in front of NewConnectionError's message is left out."""
    if isinstance(reason, BaseException) and reason.args:
        words = [
            describe(a) if isinstance(a, BaseException) else a
            for a in reason.args
            if isinstance(a, (str, BaseException))  # not the connection object in front
        ]
        text = " ".join(w for w in words if w)
    else:
        text = str(reason) if reason is not None else "connection failed"
    text = re.sub(r"^<[^>]*>: ", "", text) or type(reason).__name__
    # whole: a reason cut mid-word ("Name or se…") tells the producer nothing; the
    # warning is shown once with a count, so a long reason costs one line, not one per clip
    return text


class Attempt:
    """One request in flight, with a deadline a watchdog enforces.

    The read timeout bounds each read, not the answer: a watchdog cuts the connection when
    the deadline passes (its socket is learnt from a requests response hook), and the
    waiting worker stops waiting at the deadline in any case.
    """

    def __init__(self) -> None:
        self.done = threading.Event()
        self.expired = False
        self.data: Any = None
        self.error: BaseException | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """requests response hook: runs when the headers are in, before the body is read."""
        sock = _socket_of(response)
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _cut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _cut(sock)
        self.done.set()


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket an unread response body will come from. urllib3 keeps the connection on
    the response; http.client drops `connection.sock` when the server says
    `Connection: close`, and then only the body's reader (SocketIO) still holds it."""
    raw = getattr(response, "raw", None)
    conn = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(conn, "sock", None)
    if not isinstance(sock, socket.socket):
        reader = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _cut(sock: socket.socket) -> None:
    """Wake a read blocked on `sock` from another thread: shut the socket down. The plain
    socket method, not SSLSocket's, which would also drop the TLS object under the reader."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def secure_session(pool_size: int = 16) -> requests.Session:
    """One connection pool per engine: one TLS handshake per connection, not per request.

    requests reads HTTPS_PROXY/NO_PROXY and REQUESTS_CA_BUNDLE from the environment for
    every request (trust_env), and certificate verification stays on: `verify` is never
    turned off anywhere in this package."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.verify = True
    return session


class Usage:
    """What a service billed in this run: characters and requests, counted as the engine
    sends them (thread-safe; flushed to the ledger by the caller once per run)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.characters = 0
        self.requests = 0

    def add(self, characters: int) -> None:
        with self._lock:
            self.characters += characters
            self.requests += 1

    def take(self) -> tuple[int, int]:
        """(characters, requests) since the last take, and reset: a flush never counts twice."""
        with self._lock:
            taken = (self.characters, self.requests)
            self.characters = self.requests = 0
        return taken


class ServiceRun:
    """The run state of one network engine, shared by every worker, and its retry loop."""

    def __init__(
        self,
        engine: Engine,
        label: str,
        net: NetworkSettings,
        *,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.label = label  # how the service is named in every message: "gTTS", "Azure Speech"
        self.net = net
        self._given_up = threading.Event()
        # waits end early when the service is given up, so idle workers notice at once
        self._sleep = self._given_up.wait if sleep is None else sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._succeeded = False  # any answer accepted in this run
        self._connection_failures = 0  # in a row, across all workers, before any success
        self._failed_sentences = 0  # sentences in a row that exhausted their attempts
        self._failing_since: float | None = None  # first failure since the last success
        self._pause_until = 0.0  # Retry-After holds every worker, not just the one told
        self._in_flight: set[Attempt] = set()
        self._local = threading.local()  # when this worker's current attempt began
        self.limiter = RateLimiter(net.requests_per_minute, sleep=self._limiter_sleep)

    # --- one attempt ------------------------------------------------------------------------
    def _run_request(self, send: Callable[[Attempt], Any], attempt: Attempt) -> None:
        """Runs in its own thread: the worker waits for it no longer than the deadline."""
        try:
            attempt.data = send(attempt)
        except requests.exceptions.RequestException as exc:
            attempt.error = transport_failure(exc)
        except Exception as exc:  # Retryable, Fatal, SynthesisError, or a bug: report it
            attempt.error = exc
        finally:
            attempt.done.set()

    def _attempt(self, send: Callable[[Attempt], Any]) -> Any:
        self._wait_out_pause()
        self.limiter.acquire()
        self.raise_if_unavailable()
        attempt = Attempt()
        with self._lock:
            started = self._clock()
            self._local.started = started
            # while every request is failing, no attempt may run past the give-up budget
            deadline = self.net.attempt_timeout_s
            if self._failing_since is not None:
                deadline = min(deadline, self._failing_since + self.net.give_up_after_s - started)
            if deadline > 0:
                self._in_flight.add(attempt)
        if deadline <= 0:  # another worker's failures spent the budget: send nothing
            raise Retryable("no time left to try again")
        try:
            worker = threading.Thread(
                target=self._run_request,
                args=(send, attempt),
                name=f"{self.engine.name}-request",
                daemon=True,
            )
            worker.start()
            finished = attempt.done.wait(deadline)
            if not finished or attempt.expired:
                attempt.expire()
                self.raise_if_unavailable()
                raise Retryable(f"no complete answer within {self._clock() - started:.0f} s")
        finally:
            with self._lock:
                self._in_flight.discard(attempt)
        if attempt.error is not None:
            raise attempt.error
        if not attempt.data:
            raise Retryable("answer held no audio")
        return attempt.data

    def _wait_out_pause(self) -> None:
        with self._lock:
            delay = self._pause_until - self._clock()
        if delay > 0:
            self._sleep(delay)
        self.raise_if_unavailable()

    def _limiter_sleep(self, seconds: float) -> None:
        # a worker queued for the rate cap stops queueing when the service is given up
        self._sleep(seconds)
        self.raise_if_unavailable()

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.net.backoff_max_s, self.net.backoff_base_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    # --- run state shared by every worker ---------------------------------------------------
    def raise_if_unavailable(self) -> None:
        reason = self.engine.unavailable_reason
        if reason:
            raise EngineUnavailable(reason)

    def give_up(self, reason: str) -> EngineUnavailable:
        with self._lock:
            if self.engine.unavailable_reason is None:
                self.engine.unavailable_reason = reason
            in_flight = list(self._in_flight)
        self._given_up.set()
        for attempt in in_flight:
            attempt.expire()
        return EngineUnavailable(self.engine.unavailable_reason or reason)

    def _succeeded_now(self) -> None:
        with self._lock:
            self._succeeded = True
            self._connection_failures = 0
            self._failed_sentences = 0
            self._failing_since = None

    def _failed_now(self, failure: Retryable, wait: float) -> None:
        """Book one failed attempt, to be followed by `wait` seconds of backoff; give the
        service up when the run rules say so."""
        now = self._clock()
        with self._lock:
            if self._failing_since is None:  # failing since this attempt began
                self._failing_since = getattr(self._local, "started", now)
            failing_for = now - self._failing_since
            if failure.connection and not self._succeeded:
                self._connection_failures += 1
            else:
                self._connection_failures = 0
            connection_failures = self._connection_failures
            if failure.wait_s is not None:
                self._pause_until = max(self._pause_until, now + failure.wait_s)
        label = self.label
        if connection_failures >= self.net.unavailable_after:
            raise self.give_up(
                f"{label} unreachable: {connection_failures} connection failures in a row "
                f"({failure})"
            ) from failure
        if failure.wait_s is not None and failure.wait_s > self.net.retry_after_max_s:
            raise self.give_up(
                f"{label} rate-limited: the service asks to wait {failure.wait_s:.0f} s"
            ) from failure
        if failing_for + wait >= self.net.give_up_after_s:  # waiting would overrun it
            raise self.give_up(
                f"{label} failed every request for {failing_for:.0f} s (last: {failure})"
            ) from failure

    # --- one request, retried ---------------------------------------------------------------
    def call(self, send: Callable[[Attempt], Any], accept: Callable[[Any], T]) -> tuple[T, int]:
        """Send until an answer is accepted. `send(attempt)` runs in a thread of its own and
        returns the answer (or raises Retryable, Fatal, SynthesisError); `accept(answer)`
        decodes and judges it, raising Retryable to ask again. Returns (result, attempts)."""
        last = "no attempt made"
        for number in range(1, self.net.max_attempts + 1):
            self.raise_if_unavailable()
            try:
                result = accept(self._attempt(send))
            except Retryable as exc:
                failure = exc
            except Fatal as exc:
                raise self.give_up(str(exc)) from None
            else:
                self._succeeded_now()
                return result, number
            last = str(failure)
            wait = 0.0
            if number < self.net.max_attempts:
                wait = max(failure.wait_s or 0.0, self.backoff(number))
            self._failed_now(failure, wait)
            if wait:
                self._sleep(wait)
        with self._lock:
            self._failed_sentences += 1
            failed = self._failed_sentences
        reason = f"{self.label} failed after {self.net.max_attempts} attempts: {last}"
        if failed >= self.net.failed_sentences_limit:
            raise self.give_up(f"{reason} ({failed} sentences in a row)")
        raise SynthesisError(reason)

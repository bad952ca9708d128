"""Google Translate's TTS through the real gTTS library, made fit for an unattended job.

gTTS itself has no timeout by default, no retry, and turns every failure into one gTTSError.
Here:

- every request has a (connect, read) timeout, and every attempt a total deadline: a read
  timeout applies to each read, so an answer that trickles in a byte at a time would
  otherwise never end (found by the fault harness, tests/faultserver.py);
- 429 (honouring Retry-After, in seconds or as an HTTP date, for every worker), 5xx,
  timeouts, dropped connections, answers without audio and answers whose audio the caller
  rejects (silent, far too short) are retried with exponential backoff and jitter, a bounded
  number of times;
- the engine is given up for the run when it cannot be reached at all (connection failures
  in a row before any success: an offline machine does not wait out a timeout per clip),
  when two sentences in a row failed every attempt, when the service asks to wait longer
  than a run should, or when every request has failed for `give_up_after_s`. That last rule
  bounds a render at 100 % failure whatever the failure is; in-flight attempts are cut and
  sleeping workers woken when it triggers;
- a requests-per-minute cap is shared by all workers (gTTS#259: Google throttles bursts).

A failure that reached the service (a timeout while reading, a connection dropped half-way
through the answer) is not a connection failure: counting those as "unreachable" gave a
flaky but working service up for the whole run after three hiccups.

gTTS honours HTTPS_PROXY (urllib.request.getproxies) and does not verify certificates,
which is how the fault-injection tests put a local stand-in in front of it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import functools
import io
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import requests

from audio_pipeline.audio import ffmpeg
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import AudioDecodeError, EngineUnavailable, SynthesisError
from audio_pipeline.speech.engines.base import (
    AudioCheck,
    Engine,
    EngineAudio,
    EngineSettings,
    Option,
)
from audio_pipeline.speech.engines.ratelimit import RateLimiter


class _Retryable(Exception):
    """One attempt failed in a way worth another try."""

    def __init__(self, reason: str, *, connection: bool = False, wait_s: float | None = None):
        super().__init__(reason)
        self.connection = connection  # nothing came back at all: the service may be unreachable
        self.wait_s = wait_s


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


def transport_failure(exc: BaseException | None) -> _Retryable:
    """What a requests exception under a gTTSError (which carries no response) means."""
    from urllib3 import exceptions as u3

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return _Retryable("cannot connect (connect timed out)", connection=True)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return _Retryable("no answer within the read timeout")
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.SSLError)):
        if isinstance(exc, requests.exceptions.SSLError):
            return _Retryable("cannot connect (TLS failed)", connection=True)
        return _Retryable("the connection dropped in the middle of the answer")
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", None) or reason  # MaxRetryError wraps the cause
        if isinstance(reason, u3.ReadTimeoutError):
            return _Retryable("the answer stalled (read timeout)")
        return _Retryable(f"cannot connect ({_describe(reason)})", connection=True)
    kind = type(exc).__name__ if exc is not None else "connection failed"
    return _Retryable(f"cannot connect ({kind})", connection=True)


def _describe(reason: object) -> str:
    """urllib3's reasons as words: ProtocolError('Connection aborted.', RemoteDisconnected(
    'Remote end closed ...')) reads "Connection aborted. Remote end closed ...", and the
    connection object's repr in front of NewConnectionError's message is left out."""
    if isinstance(reason, BaseException) and reason.args:
        words = [
            _describe(a) if isinstance(a, BaseException) else a
            for a in reason.args
            if isinstance(a, (str, BaseException))  # not the connection object in front
        ]
        text = " ".join(w for w in words if w)
    else:
        text = str(reason) if reason is not None else "connection failed"
    text = re.sub(r"^<[^>]*>: ", "", text) or type(reason).__name__
    return text if len(text) <= 120 else text[:119] + "…"


class _Attempt:
    """One request in flight, with a deadline a watchdog enforces.

    The read timeout bounds each read, not the answer: a watchdog cuts the connection when
    the deadline passes (its socket is learnt from a requests response hook), and the
    waiting worker stops waiting at the deadline in any case.
    """

    def __init__(self) -> None:
        self.done = threading.Event()
        self.expired = False
        self.data: bytes | None = None
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


@functools.cache
def _watched_gtts() -> type:
    """gTTS whose requests carry a response hook, so a watchdog can find their sockets."""
    from gtts import gTTS

    class WatchedGTTS(gTTS):  # type: ignore[misc]
        on_response: Callable[..., None] | None = None

        def _prepare_requests(self) -> list[requests.PreparedRequest]:
            prepared: list[requests.PreparedRequest] = super()._prepare_requests()
            if self.on_response is not None:
                for request in prepared:
                    request.register_hook("response", self.on_response)  # type: ignore[no-untyped-call]
            return prepared

    return WatchedGTTS


class GttsEngine(Engine):
    name = "gtts"
    network = True
    max_chars = defaults.GTTS_MAX_CHARS
    options = (
        Option("lang", str, "ko", "language tag"),
        Option("tld", str, "com", "Google host top-level domain (translate.google.<tld>)"),
        Option("slow", bool, False, "gTTS slow reading"),
    )

    def __init__(
        self,
        settings: EngineSettings | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(settings)
        self.net = self.settings.network
        self._given_up = threading.Event()
        # waits end early when the engine is given up, so idle workers notice at once
        self._sleep = self._given_up.wait if sleep is None else sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._succeeded = False  # any answer accepted in this run
        self._connection_failures = 0  # in a row, across all workers, before any success
        self._failed_sentences = 0  # sentences in a row that exhausted their attempts
        self._failing_since: float | None = None  # first failure since the last success
        self._pause_until = 0.0  # Retry-After holds every worker, not just the one told
        self._in_flight: set[_Attempt] = set()
        self._local = threading.local()  # when this worker's current attempt began
        self.limiter = RateLimiter(self.net.requests_per_minute, sleep=self._limiter_sleep)

    def version(self) -> str:
        import gtts

        return f"gtts-{gtts.__version__}"

    def probe(self) -> str | None:
        """Can the TTS host be reached now? A HEAD request with a short timeout."""
        host = "https://translate.google.com/"
        try:
            requests.head(host, timeout=3.0, allow_redirects=False)
        except requests.RequestException as exc:
            return f"cannot reach {host} ({type(exc).__name__})"
        return None

    # --- one attempt ------------------------------------------------------------------------
    def _request(self, text: str, opts: Mapping[str, Any], attempt: _Attempt) -> None:
        """Runs in its own thread: the worker waits for it no longer than the deadline."""
        from gtts import gTTSError

        buffer = io.BytesIO()
        try:
            tts = _watched_gtts()(
                text,
                lang=opts["lang"],
                tld=opts["tld"],
                slow=bool(opts["slow"]),
                lang_check=False,  # the language list check would be a request of its own
                timeout=(self.net.connect_timeout_s, self.net.read_timeout_s),
            )
            tts.on_response = attempt.on_response
            tts.write_to_fp(buffer)
            attempt.data = buffer.getvalue()
        except AssertionError as exc:  # gTTS asserts on text with nothing to speak
            attempt.error = SynthesisError(f"gTTS: {exc}")
        except gTTSError as exc:
            attempt.error = self._classify(exc)
        except requests.exceptions.RequestException as exc:
            # raised while reading the body in gTTS's iter_lines, after its own try
            attempt.error = _Retryable(
                f"the connection dropped in the middle of the answer ({type(exc).__name__})"
            )
        except Exception as exc:  # anything else from a request thread: report, do not lose
            attempt.error = exc
        finally:
            attempt.done.set()

    def _attempt(self, text: str, opts: Mapping[str, Any]) -> bytes:
        self._wait_out_pause()
        self.limiter.acquire()
        self._raise_if_unavailable()
        attempt = _Attempt()
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
            raise _Retryable("no time left to try again")
        try:
            worker = threading.Thread(
                target=self._request, args=(text, opts, attempt), name="gtts-request", daemon=True
            )
            worker.start()
            finished = attempt.done.wait(deadline)
            if not finished or attempt.expired:
                attempt.expire()
                self._raise_if_unavailable()
                raise _Retryable(f"no complete answer within {self._clock() - started:.0f} s")
        finally:
            with self._lock:
                self._in_flight.discard(attempt)
        if attempt.error is not None:
            raise attempt.error
        if not attempt.data:
            raise _Retryable("answer held no audio")
        return attempt.data

    def _classify(self, exc: Exception) -> Exception:
        response = getattr(exc, "rsp", None)
        if response is None:
            return transport_failure(exc.__context__)
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            return _Retryable("429 Too Many Requests", wait_s=wait)
        if status >= 500:
            return _Retryable(f"{status} server error")
        if status == 200:
            return _Retryable("answer held no audio")
        return SynthesisError(
            f"gTTS: {status} from the TTS service ({exc}); the request itself is refused, "
            "check the voice's lang and tld or update gtts"
        )

    def _wait_out_pause(self) -> None:
        with self._lock:
            delay = self._pause_until - self._clock()
        if delay > 0:
            self._sleep(delay)
        self._raise_if_unavailable()

    def _limiter_sleep(self, seconds: float) -> None:
        # a worker queued for the rate cap stops queueing when the engine is given up
        self._sleep(seconds)
        self._raise_if_unavailable()

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.net.backoff_max_s, self.net.backoff_base_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    # --- run state shared by every worker ---------------------------------------------------
    def _raise_if_unavailable(self) -> None:
        if self.unavailable_reason:
            raise EngineUnavailable(self.unavailable_reason)

    def _give_up(self, reason: str) -> EngineUnavailable:
        with self._lock:
            if self.unavailable_reason is None:
                self.unavailable_reason = reason
            in_flight = list(self._in_flight)
        self._given_up.set()
        for attempt in in_flight:
            attempt.expire()
        return EngineUnavailable(self.unavailable_reason or reason)

    def _succeeded_now(self) -> None:
        with self._lock:
            self._succeeded = True
            self._connection_failures = 0
            self._failed_sentences = 0
            self._failing_since = None

    def _failed_now(self, failure: _Retryable, wait: float) -> None:
        """Book one failed attempt, to be followed by `wait` seconds of backoff; give the
        engine up when the run rules say so."""
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
        if connection_failures >= self.net.unavailable_after:
            raise self._give_up(
                f"gTTS unreachable: {connection_failures} connection failures in a row ({failure})"
            ) from failure
        if failure.wait_s is not None and failure.wait_s > self.net.retry_after_max_s:
            raise self._give_up(
                f"gTTS rate-limited: the service asks to wait {failure.wait_s:.0f} s"
            ) from failure
        if failing_for + wait >= self.net.give_up_after_s:  # waiting would overrun it
            raise self._give_up(
                f"gTTS failed every request for {failing_for:.0f} s (last: {failure})"
            ) from failure

    # --- one sentence, retried --------------------------------------------------------------
    def synthesize(
        self, text: str, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        opts = self.resolved_options(options)
        last = "no attempt made"
        for attempt in range(1, self.net.max_attempts + 1):
            self._raise_if_unavailable()
            try:
                data = self._attempt(text, opts)
                samples = ffmpeg.decode(
                    data, label="gTTS answer", sample_rate=defaults.SAMPLE_RATE, input_format="mp3"
                )
                failure = self._judge(samples, check)
            except _Retryable as exc:
                failure = exc
            except AudioDecodeError as exc:
                failure = _Retryable(f"answer was not decodable audio ({exc.reason})")
            if failure is None:
                self._succeeded_now()
                return EngineAudio(samples, defaults.SAMPLE_RATE, requests=attempt)
            last = str(failure)
            wait = 0.0
            if attempt < self.net.max_attempts:
                wait = max(failure.wait_s or 0.0, self._backoff(attempt))
            self._failed_now(failure, wait)
            if wait:
                self._sleep(wait)
        with self._lock:
            self._failed_sentences += 1
            failed = self._failed_sentences
        reason = f"gTTS failed after {self.net.max_attempts} attempts: {last}"
        if failed >= self.net.failed_sentences_limit:
            raise self._give_up(f"{reason} ({failed} sentences in a row)")
        raise SynthesisError(reason)

    @staticmethod
    def _judge(samples: np.ndarray, check: AudioCheck | None) -> _Retryable | None:
        if check is None:
            return None
        try:
            check(samples, defaults.SAMPLE_RATE)
        except SynthesisError as exc:
            return _Retryable(f"answer rejected: {exc}")
        return None


ENGINE = GttsEngine

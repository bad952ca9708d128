"""Google Translate's TTS through the real gTTS library, made fit for an unattended job.

gTTS itself has no timeout by default, no retry, and turns every failure into one gTTSError.
Here every request has a (connect, read) timeout; 429 (honouring Retry-After), 5xx,
timeouts, dropped connections and answers without audio are retried with exponential
backoff and jitter, a bounded number of times; and after several consecutive connection
failures the engine is marked unavailable for the rest of the run, so an offline run does
not wait out a timeout per clip (gTTS#259: Google throttles bursts, so a rate cap is shared
by all workers too).

gTTS honours HTTPS_PROXY (urllib.request.getproxies) and does not verify certificates,
which is how the fault-injection tests put a local stand-in in front of it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from .. import defaults, ffmpeg
from ..errors import AudioDecodeError, EngineUnavailable, SynthesisError
from .base import Engine, EngineAudio, Option
from .ratelimit import RateLimiter


@dataclass(frozen=True)
class GttsSettings:
    connect_timeout_s: float = defaults.GTTS_CONNECT_TIMEOUT_S
    read_timeout_s: float = defaults.GTTS_READ_TIMEOUT_S
    max_attempts: int = defaults.GTTS_MAX_ATTEMPTS
    backoff_base_s: float = defaults.GTTS_BACKOFF_BASE_S
    backoff_max_s: float = defaults.GTTS_BACKOFF_MAX_S
    retry_after_max_s: float = defaults.GTTS_RETRY_AFTER_MAX_S
    unavailable_after: int = defaults.GTTS_UNAVAILABLE_AFTER
    # sentences in a row that failed every attempt before the engine is given up for the run
    failed_sentences_limit: int = 2
    requests_per_minute: float = 120.0


class _Retryable(Exception):
    """One attempt failed in a way worth another try."""

    def __init__(self, reason: str, *, connection: bool = False, wait_s: float | None = None):
        super().__init__(reason)
        self.connection = connection
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
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


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
        settings: GttsSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or GttsSettings()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._connection_failures = 0  # consecutive, across all workers
        self._failed_sentences = 0  # consecutive sentences that exhausted their attempts
        self.limiter = RateLimiter(self.settings.requests_per_minute, sleep=sleep)
        self.requests_sent = 0

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
    def _attempt(self, text: str, opts: Mapping[str, Any]) -> bytes:
        from gtts import gTTS, gTTSError

        self.limiter.acquire()
        with self._lock:
            self.requests_sent += 1
        buffer = io.BytesIO()
        try:
            tts = gTTS(
                text,
                lang=opts["lang"],
                tld=opts["tld"],
                slow=bool(opts["slow"]),
                lang_check=False,  # the language list check would be a request of its own
                timeout=(self.settings.connect_timeout_s, self.settings.read_timeout_s),
            )
            tts.write_to_fp(buffer)
        except AssertionError as exc:  # gTTS asserts on text with nothing to speak
            raise SynthesisError(f"gTTS: {exc}") from exc
        except gTTSError as exc:
            raise self._classify(exc) from exc
        except requests.exceptions.RequestException as exc:
            # raised while reading the body (after gTTS's own try): a dropped connection
            raise _Retryable(f"connection dropped while reading ({type(exc).__name__})") from exc
        data = buffer.getvalue()
        if not data:
            raise _Retryable("answer held no audio")
        return data

    def _classify(self, exc: Exception) -> Exception:
        response = getattr(exc, "rsp", None)
        if response is None:
            cause = exc.__context__
            kind = type(cause).__name__ if cause is not None else "connection failed"
            return _Retryable(f"cannot connect ({kind})", connection=True)
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

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(
            self.settings.backoff_max_s, self.settings.backoff_base_s * 2 ** (attempt - 1)
        )
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    def _give_up(self, reason: str) -> EngineUnavailable:
        with self._lock:
            if self.unavailable_reason is None:
                self.unavailable_reason = reason
        return EngineUnavailable(self.unavailable_reason or reason)

    # --- one sentence, retried --------------------------------------------------------------
    def synthesize(self, text: str, options: Mapping[str, Any]) -> EngineAudio:
        opts = self.resolved_options(options)
        last = "no attempt made"
        for attempt in range(1, self.settings.max_attempts + 1):
            if self.unavailable_reason:
                raise EngineUnavailable(self.unavailable_reason)
            try:
                data = self._attempt(text, opts)
                samples = ffmpeg.decode(
                    data, label="gTTS answer", sample_rate=defaults.SAMPLE_RATE, input_format="mp3"
                )
            except _Retryable as exc:
                last = str(exc)
                if exc.connection:
                    with self._lock:
                        self._connection_failures += 1
                        failures = self._connection_failures
                    if failures >= self.settings.unavailable_after:
                        raise self._give_up(
                            f"gTTS unreachable: {failures} connection failures in a row ({last})"
                        ) from exc
                wait = exc.wait_s
                if wait is not None and wait > self.settings.retry_after_max_s:
                    raise self._give_up(
                        f"gTTS rate-limited: the service asks to wait {wait:.0f} s"
                    ) from exc
                if attempt < self.settings.max_attempts:
                    self._sleep(max(wait or 0.0, self._backoff(attempt)))
                continue
            except AudioDecodeError as exc:
                last = f"answer was not decodable audio ({exc.reason})"
                if attempt < self.settings.max_attempts:
                    self._sleep(self._backoff(attempt))
                continue
            with self._lock:
                self._connection_failures = 0
                self._failed_sentences = 0
            return EngineAudio(samples, defaults.SAMPLE_RATE, requests=attempt)
        with self._lock:
            self._failed_sentences += 1
            failed = self._failed_sentences
        reason = f"gTTS failed after {self.settings.max_attempts} attempts: {last}"
        if failed >= self.settings.failed_sentences_limit:
            raise self._give_up(f"{reason} ({failed} sentences in a row)")
        raise SynthesisError(reason)

"""Google Translate's TTS through the real gTTS library, made fit for an unattended job.

gTTS itself has no timeout by default, no retry, and turns every failure into one gTTSError.
Here every request keeps the run-wide network rules of network.py (timeouts and an attempt
deadline, retries with backoff and jitter, Retry-After for every worker, the give-up rules
and a per-process request cap; gTTS#259: Google throttles bursts), and a gTTSError is read
back into what it was: a 429, a 5xx, a transport failure, or a refusal.

gTTS honours HTTPS_PROXY (urllib.request.getproxies) and does not verify certificates,
which is how the fault-injection tests put a local stand-in in front of it.
"""

from __future__ import annotations

import functools
import io
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import requests

from audio_pipeline.audio import ffmpeg
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import AudioDecodeError, SynthesisError
from audio_pipeline.engines.base import (
    AudioCheck,
    Engine,
    EngineAudio,
    EngineSettings,
    Option,
)
from audio_pipeline.engines.network import (
    Attempt,
    Retryable,
    ServiceRun,
    retry_after_seconds,
    transport_failure,
)

# the names the tests and the benchmark knew these by before the rules moved to network.py
_Retryable = Retryable
__all__ = ["ENGINE", "GttsEngine", "retry_after_seconds", "transport_failure"]


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
        self.run = ServiceRun(self, "gTTS", self.net, sleep=sleep, rng=rng, clock=clock)
        self.limiter = self.run.limiter

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
    def _send(self, text: str, opts: Mapping[str, Any], attempt: Attempt) -> bytes:
        """One request through gTTS; its failures as the run rules read them."""
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
        except AssertionError as exc:  # gTTS asserts on text with nothing to speak
            raise SynthesisError(f"gTTS: {exc}") from None
        except gTTSError as exc:
            raise self._classify(exc) from None
        except requests.exceptions.RequestException as exc:
            # raised while reading the body in gTTS's iter_lines, after its own try
            raise Retryable(
                f"the connection dropped in the middle of the answer ({type(exc).__name__})"
            ) from None
        return buffer.getvalue()

    def _classify(self, exc: Exception) -> Exception:
        response = getattr(exc, "rsp", None)
        if response is None:
            return transport_failure(exc.__context__)
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            return Retryable("429 Too Many Requests", wait_s=wait)
        if status >= 500:
            return Retryable(f"{status} server error")
        if status == 200:
            return Retryable("answer held no audio")
        return SynthesisError(
            f"gTTS: {status} from the TTS service ({exc}); the request itself is refused, "
            "check the voice's lang and tld or update gtts"
        )

    # --- one sentence, retried --------------------------------------------------------------
    def synthesize(
        self, text: str, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        opts = self.resolved_options(options)

        def accept(data: bytes) -> np.ndarray:
            try:
                samples = ffmpeg.decode(
                    data, label="gTTS answer", sample_rate=defaults.SAMPLE_RATE, input_format="mp3"
                )
            except AudioDecodeError as exc:
                raise Retryable(f"answer was not decodable audio ({exc.reason})") from None
            judge(samples, defaults.SAMPLE_RATE, check)
            return samples

        samples, attempts = self.run.call(lambda a: self._send(text, opts, a), accept)
        return EngineAudio(samples, defaults.SAMPLE_RATE, requests=attempts)


def judge(samples: np.ndarray, rate: int, check: AudioCheck | None) -> None:
    """The caller's check as the retry loop reads it: a rejected answer is asked for again."""
    if check is None:
        return
    try:
        check(samples, rate)
    except SynthesisError as exc:
        raise Retryable(f"answer rejected: {exc}") from None


ENGINE = GttsEngine

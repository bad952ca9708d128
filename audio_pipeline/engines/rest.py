"""What the official-service engines (Azure AI Speech, Google Cloud Text-to-Speech) share:
credentials from the environment, one `requests.Session` (connection reuse, certificates
always verified, HTTPS_PROXY and REQUESTS_CA_BUNDLE honoured as requests does), the run-wide
network rules (network.ServiceRun), usage counted as the service bills it, and a probe.

`requests` rather than the services' SDKs: azure-cognitiveservices-speech is a native
library that speaks its own WebSocket protocol (no HTTPS_PROXY/REQUESTS_CA_BUNDLE, no
watchdog we can hold), and google-cloud-texttospeech pulls grpc and google-auth for one POST
that an API key in a header already authorizes. Two small REST calls each are all we use.
"""

from __future__ import annotations

import random
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
import requests

from audio_pipeline.core.errors import EngineUnavailable, SynthesisError
from audio_pipeline.engines.base import (
    AudioCheck,
    Engine,
    EngineAudio,
    EngineSettings,
    Passage,
)
from audio_pipeline.engines.network import (
    Attempt,
    Retryable,
    ServiceRun,
    Usage,
    retry_after_seconds,
    secure_session,
)
from audio_pipeline.engines.ssml import decode_wav, one_line, redact

PROBE_TIMEOUT_S = 3.0
USER_AGENT = "audio-pipeline"  # Azure requires a User-Agent; it names the program only


class RestEngine(Engine):
    """A neural voice service behind an HTTPS REST API with a key from the environment."""

    network = True
    label: ClassVar[str]  # the service as messages name it: "Azure Speech"
    key_variable: ClassVar[str]  # the variable holding the secret

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
        env = self.settings.env()
        self._key = env.get(self.key_variable, "").strip()
        self.config = {name: env.get(name, "").strip() for name in self.credentials}
        self.run = ServiceRun(self, self.label, self.net, sleep=sleep, rng=rng, clock=clock)
        self.usage = Usage()
        self.session = secure_session()
        missing = self.missing_credentials()
        if missing:
            self.unavailable_reason = self.no_credentials_reason(missing)
        else:
            self.unavailable_reason = self.check_config()

    # --- what each service says -------------------------------------------------------------
    def no_credentials_reason(self, missing: tuple[str, ...]) -> str:
        return f"{self.label}: no credentials; set {' and '.join(missing)} (README: Engines)"

    def check_config(self) -> str | None:
        """A reason the configuration (not the key) cannot work, checked once when built."""
        return None

    @abstractmethod
    def classify(self, response: requests.Response) -> Exception:
        """What a non-200 answer means: Retryable, Fatal (for the run) or SynthesisError."""

    @abstractmethod
    def voices_request(self, locale: str) -> tuple[str, dict[str, str]]:
        """(url, headers) of the service's voice list."""

    @abstractmethod
    def parse_voices(self, data: Any, locale: str) -> list[Any]:
        """RemoteVoice entries from the voice list's JSON."""

    # --- shared plumbing --------------------------------------------------------------------
    def secrets(self) -> tuple[str, ...]:
        return (self._key,)

    def clean(self, text: str) -> str:
        """A service's words as one line, with no secret in it."""
        return one_line(redact(text, self.secrets()))

    def post(self, url: str, attempt: Attempt, **kwargs: Any) -> requests.Response:
        return self.session.post(
            url,
            timeout=(self.net.connect_timeout_s, self.net.read_timeout_s),
            hooks={"response": attempt.on_response},
            allow_redirects=False,
            **kwargs,
        )

    def retry_or_fail(self, response: requests.Response, what: str) -> Exception:
        """The answers every service shares: 429 and 5xx are worth another try."""
        if response.status_code == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            return Retryable(f"429 Too Many Requests ({what})", wait_s=wait)
        if response.status_code >= 500:
            return Retryable(f"{response.status_code} server error")
        return SynthesisError(f"{self.label}: unexpected answer {response.status_code} ({what})")

    def take_usage(self) -> tuple[int, int]:
        return self.usage.take()

    def probe(self) -> str | None:
        """The voice list with a short timeout and no retry: answering, and taking the key?"""
        missing = self.missing_credentials()
        if missing:
            return f"no credentials (set {', '.join(missing)})"
        if self.unavailable_reason:
            return self.unavailable_reason
        url, headers = self.voices_request("ko-KR")
        try:
            response = self.session.get(
                url, headers=headers, timeout=PROBE_TIMEOUT_S, allow_redirects=False
            )
        except requests.RequestException as exc:
            return f"cannot reach {self.label} ({type(exc).__name__})"
        if response.status_code != 200:
            return self.clean(str(self.classify(response)))
        return None

    def remote_voices(self, locale: str) -> list[Any]:
        """The service's voices for `locale`, through the same run rules as synthesis."""
        if self.unavailable_reason:
            raise EngineUnavailable(self.unavailable_reason)
        url, headers = self.voices_request(locale)

        def send(attempt: Attempt) -> Any:
            response = self.session.get(
                url,
                headers=headers,
                timeout=(self.net.connect_timeout_s, self.net.read_timeout_s),
                hooks={"response": attempt.on_response},
                allow_redirects=False,
            )
            if response.status_code != 200:
                raise self.classify(response)
            try:
                return (response.json(),)  # a tuple: an empty list is an answer too
            except ValueError:
                raise Retryable("the voice list was not JSON") from None

        data, _ = self.run.call(send, lambda answer: answer[0])
        return self.parse_voices(data, locale)

    # --- synthesis --------------------------------------------------------------------------
    @abstractmethod
    def request(self, passage: Passage, opts: Mapping[str, Any]) -> tuple[str, int]:
        """(request body, characters billed for it)."""

    @abstractmethod
    def send(self, body: str, opts: Mapping[str, Any], attempt: Attempt) -> bytes:
        """One request; the WAV bytes of a 200, else raises what the answer means."""

    def synthesize(
        self, text: str, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        return self.synthesize_passage([(text, 0.0)], options, check)

    def synthesize_passage(
        self, passage: Passage, options: Mapping[str, Any], check: AudioCheck | None = None
    ) -> EngineAudio:
        self.run.raise_if_unavailable()
        opts = self.resolved_options(options)
        body, billed = self.request(passage, opts)

        def send(attempt: Attempt) -> bytes:
            data = self.send(body, opts, attempt)
            if data:  # the service answered with audio: that request is billed
                self.usage.add(billed)
            return data

        def accept(data: bytes) -> tuple[np.ndarray, int]:
            samples, rate = decode_wav(data, f"{self.label} answer")
            if check is not None:
                try:
                    check(samples, rate)
                except SynthesisError as exc:
                    raise Retryable(f"answer rejected: {exc}") from None
            return samples, rate

        (samples, rate), attempts = self.run.call(send, accept)
        return EngineAudio(samples, rate, requests=attempts)

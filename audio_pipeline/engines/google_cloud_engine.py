"""Google Cloud Text-to-Speech through its REST API (v1).

POST https://texttospeech.googleapis.com/v1/text:synthesize with a JSON body: `input` (SSML,
or plain text for Chirp voices), `voice` {languageCode, name}, `audioConfig` {audioEncoding:
LINEAR16, sampleRateHertz, speakingRate, pitch}. The answer is {"audioContent": base64}, and
for LINEAR16 "we include the WAV header" (SynthesizeSpeechResponse). Voices: GET
/v1/voices?languageCode=ko-KR. One request holds at most 5,000 bytes of input (Quotas and
limits).

The API key goes in the `X-Goog-Api-Key` header, never the `key=` query parameter, so it is
in no URL that a proxy, a log or an exception could show. The variable is GOOGLE_API_KEY.
A wrong key is answered 400 INVALID_ARGUMENT with the ErrorInfo reason API_KEY_INVALID (not
401); a key of a project without the API enabled, 403 (SERVICE_DISABLED); a rate quota,
429 RESOURCE_EXHAUSTED (RATE_LIMIT_EXCEEDED): retried; a daily quota: not.

Billing: characters of the input, SSML tags included (Cloud Text-to-Speech pricing); that is
what `usage` counts.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import requests

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import SynthesisError
from audio_pipeline.engines.base import Option, Passage, RemoteVoice
from audio_pipeline.engines.network import Attempt, Fatal, Retryable
from audio_pipeline.engines.rest import RestEngine
from audio_pipeline.engines.ssml import prosody_body, speak

HOST = "https://texttospeech.googleapis.com"
KINDS = ("Chirp3-HD", "Chirp-HD", "Neural2", "Wavenet", "Standard", "Studio", "Polyglot")


def voice_kind(name: str) -> str:
    """ko-KR-Neural2-A -> Neural2 (the voice type is part of the name)."""
    return next((kind for kind in KINDS if f"-{kind}-" in name), "?")


def plain_text_only(name: str) -> bool:
    """Chirp voices take plain text, not SSML (Cloud TTS: Chirp 3 HD voices)."""
    return voice_kind(name).startswith("Chirp")


def error_info(response: requests.Response) -> tuple[str, str, str, dict[str, str]]:
    """(status, message, ErrorInfo reason, ErrorInfo metadata) of a Google API error body."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return "", "", "", {}
    if not isinstance(error, dict):
        return "", "", "", {}
    reason, metadata = "", {}
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("ErrorInfo"):
            reason = str(detail.get("reason", ""))
            metadata = {str(k): str(v) for k, v in (detail.get("metadata") or {}).items()}
    return str(error.get("status", "")), str(error.get("message", "")), reason, metadata


class GoogleCloudEngine(RestEngine):
    name = "google-cloud"
    label = "Google Cloud TTS"
    max_chars = defaults.GOOGLE_CLOUD_MAX_CHARS
    credentials = ("GOOGLE_API_KEY",)
    key_variable = "GOOGLE_API_KEY"
    options = (
        Option("voice", str, "ko-KR-Neural2-A", "voice name as the service lists it"),
        Option("lang", str, "ko-KR", "languageCode"),
        Option("rate", float, 1.0, "speakingRate (1.0 is the voice's normal speed)", 0.25, 4.0),
        Option("pitch", float, 0.0, "pitch change in semitones (not for Chirp voices)", -20, 20),
        Option("sample_rate", int, 24_000, "sampleRateHertz of the LINEAR16 answer", 16000, 48000),
    )

    def version(self) -> str:
        return "google-cloud-tts-rest-v1"

    # --- the request ------------------------------------------------------------------------
    def request(self, passage: Passage, opts: Mapping[str, Any]) -> tuple[str, int]:
        voice = str(opts["voice"])
        config: dict[str, Any] = {
            "audioEncoding": "LINEAR16",
            "sampleRateHertz": int(opts["sample_rate"]),
        }
        if float(opts["rate"]) != 1.0:
            config["speakingRate"] = float(opts["rate"])
        if plain_text_only(voice):
            text = " ".join(t for t, _ in passage)
            source: dict[str, str] = {"text": text}
            billed = len(text)
        else:
            if float(opts["pitch"]) != 0.0:
                config["pitch"] = float(opts["pitch"])
            document, _ = speak(str(opts["lang"]), prosody_body(passage, {}))
            source = {"ssml": document}
            billed = len(document)
        body = {
            "input": source,
            "voice": {"languageCode": str(opts["lang"]), "name": voice},
            "audioConfig": config,
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")), billed

    def fits_one_request(self, passage: Passage, options: Mapping[str, Any]) -> bool:
        opts = self.resolved_options(options)
        if plain_text_only(str(opts["voice"])):
            return len(passage) == 1  # no SSML breaks: the pauses are joined as audio
        document, _ = speak(str(opts["lang"]), prosody_body(passage, {}))
        return len(document.encode("utf-8")) <= defaults.GOOGLE_CLOUD_MAX_REQUEST_BYTES

    def send(self, body: str, opts: Mapping[str, Any], attempt: Attempt) -> bytes:
        response = self.post(
            f"{HOST}/v1/text:synthesize",
            attempt,
            data=body.encode("utf-8"),
            headers={
                "X-Goog-Api-Key": self._key,
                "Content-Type": "application/json; charset=utf-8",
            },
        )
        if response.status_code != 200:
            raise self.classify(response)
        try:
            audio = response.json().get("audioContent") or ""
            return base64.b64decode(audio, validate=True)
        except (ValueError, AttributeError, binascii.Error):
            raise Retryable("the answer held no decodable audioContent") from None

    def classify(self, response: requests.Response) -> Exception:
        status = response.status_code
        state, message, reason, metadata = error_info(response)
        said = self.clean(" ".join(p for p in (state, reason, message) if p))
        if reason == "API_KEY_INVALID" or (status == 400 and "API key not valid" in message):
            return Fatal(
                f"{self.label} refused the key (400 API_KEY_INVALID): set GOOGLE_API_KEY to an "
                "API key of a project with the Cloud Text-to-Speech API enabled"
            )
        if status in (401, 403):
            return Fatal(
                f"{self.label} refused the request ({status} {said}): enable the Cloud "
                "Text-to-Speech API for the key's project and allow the key to use it"
            )
        if status == 429:
            limit = metadata.get("quota_limit", "") + metadata.get("quota_metric", "")
            if reason not in ("", "RATE_LIMIT_EXCEEDED") or "PerDay" in limit:
                return Fatal(f"{self.label}: quota used up ({said}); no retry this run")
        if status == 400:
            return Fatal(
                f"{self.label} refused the request (400 {said}); check the voice name "
                "(`audio-pipeline voices --remote google-cloud`) and its options"
            )
        return self.retry_or_fail(response, said or "no reason given")

    # --- the voice list ---------------------------------------------------------------------
    def voices_request(self, locale: str) -> tuple[str, dict[str, str]]:
        return f"{HOST}/v1/voices?languageCode={locale}", {"X-Goog-Api-Key": self._key}

    def parse_voices(self, data: Any, locale: str) -> list[Any]:
        voices = data.get("voices") if isinstance(data, dict) else None
        if not isinstance(voices, list):
            raise SynthesisError(f"{self.label}: the voice list held no voices")
        found = []
        for entry in voices:
            if not isinstance(entry, dict) or locale not in (entry.get("languageCodes") or []):
                continue
            name = str(entry.get("name", "?"))
            found.append(
                RemoteVoice(
                    name=name,
                    gender=str(entry.get("ssmlGender", "?")).title(),
                    kind=voice_kind(name),
                    locale=locale,
                )
            )
        return sorted(found, key=lambda v: v.name)


ENGINE = GoogleCloudEngine

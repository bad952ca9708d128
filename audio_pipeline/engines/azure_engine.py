"""Azure AI Speech neural voices through the text to speech REST API.

POST https://<region>.tts.speech.microsoft.com/cognitiveservices/v1 with the resource key in
`Ocp-Apim-Subscription-Key`, `Content-Type: application/ssml+xml`, a `User-Agent`, and
`X-Microsoft-OutputFormat: riff-48khz-16bit-mono-pcm` (or riff-24khz-...): PCM in a RIFF
header, nothing lossy before our own processing. Voices: GET .../cognitiveservices/voices/list.
(Microsoft Learn, "Text to speech REST API": request headers, audio outputs, HTTP status
codes 400/401/415/429/502/503.) The key and region come from SPEECH_KEY and SPEECH_REGION,
the names Microsoft's quickstarts use.

Billing ("What is text to speech?", billable characters): the text and all markup inside the
SSML body except the <speak> and <voice> tags, every Unicode code point, and each Chinese
character (Korean hanja included) counted twice; that is what `usage` counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import SynthesisError
from audio_pipeline.engines.base import Option, Passage, RemoteVoice
from audio_pipeline.engines.network import Attempt, Fatal
from audio_pipeline.engines.rest import USER_AGENT, RestEngine
from audio_pipeline.engines.ssml import prosody_body, speak

FORMATS = ("riff-48khz-16bit-mono-pcm", "riff-24khz-16bit-mono-pcm")
_REGION = re.compile(r"^[a-z0-9]{2,40}$")
_HANJA = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _percent(value: float) -> str:
    return f"{value:+g}%"


class AzureEngine(RestEngine):
    name = "azure"
    label = "Azure Speech"
    max_chars = defaults.AZURE_MAX_CHARS
    credentials = ("SPEECH_KEY", "SPEECH_REGION")
    key_variable = "SPEECH_KEY"
    options = (
        Option("voice", str, "ko-KR-SunHiNeural", "voice name as the service lists it"),
        Option("lang", str, "ko-KR", "SSML xml:lang"),
        Option("rate", float, 0.0, "speaking rate change in percent (SSML prosody)", -50, 100),
        Option("pitch", float, 0.0, "pitch change in percent (SSML prosody)", -50, 50),
        Option("format", str, FORMATS[0], "output format (PCM only)", choices=FORMATS),
    )

    def check_config(self) -> str | None:
        region = self.config["SPEECH_REGION"]
        if not _REGION.match(region):
            return (
                f"{self.label}: SPEECH_REGION '{region[:40]}' is not a region name "
                "(e.g. koreacentral, eastus)"
            )
        return None

    def version(self) -> str:
        return "azure-tts-rest-v1"

    def _host(self) -> str:
        return f"https://{self.config['SPEECH_REGION']}.tts.speech.microsoft.com"

    # --- the request ------------------------------------------------------------------------
    def _document(self, passage: Passage, opts: Mapping[str, Any]) -> tuple[str, int]:
        prosody = {}
        if opts["rate"]:
            prosody["rate"] = _percent(float(opts["rate"]))
        if opts["pitch"]:
            prosody["pitch"] = _percent(float(opts["pitch"]))
        document, inner = speak(str(opts["lang"]), prosody_body(passage, prosody), opts["voice"])
        return document, inner + sum(len(_HANJA.findall(text)) for text, _ in passage)

    def request(self, passage: Passage, opts: Mapping[str, Any]) -> tuple[str, int]:
        return self._document(passage, opts)

    def fits_one_request(self, passage: Passage, options: Mapping[str, Any]) -> bool:
        return sum(len(text) for text, _ in passage) <= defaults.AZURE_MAX_REQUEST_CHARS

    def send(self, body: str, opts: Mapping[str, Any], attempt: Attempt) -> bytes:
        response = self.post(
            f"{self._host()}/cognitiveservices/v1",
            attempt,
            data=body.encode("utf-8"),
            headers={
                "Ocp-Apim-Subscription-Key": self._key,
                "Content-Type": "application/ssml+xml",
                "X-Microsoft-OutputFormat": str(opts["format"]),
                "User-Agent": USER_AGENT,
            },
        )
        if response.status_code != 200:
            raise self.classify(response)
        return response.content

    def classify(self, response: requests.Response) -> Exception:
        status = response.status_code
        said = self.clean(response.text or response.reason or "")
        if status == 401:
            return Fatal(
                f"{self.label} refused the key (401): check SPEECH_KEY, and that SPEECH_REGION "
                f"('{self.config['SPEECH_REGION']}') is the region of the key's Speech resource"
            )
        if status == 403:
            return Fatal(
                f"{self.label} refused the request (403{': ' + said if said else ''}): the "
                "resource is disabled or its free (F0) monthly quota is used up; wait for the "
                "next month or move the resource to S0"
            )
        if status == 429 and "quota" in said.lower():
            return Fatal(f"{self.label}: quota used up (429: {said}); no retry this run")
        if status in (400, 415):
            return Fatal(
                f"{self.label} refused the request ({status}{': ' + said if said else ''}); "
                "check the voice name (`audio-pipeline voices --remote azure`) and its options"
            )
        return self.retry_or_fail(response, said or "no reason given")

    # --- the voice list ---------------------------------------------------------------------
    def voices_request(self, locale: str) -> tuple[str, dict[str, str]]:
        return (
            f"{self._host()}/cognitiveservices/voices/list",
            {"Ocp-Apim-Subscription-Key": self._key, "User-Agent": USER_AGENT},
        )

    def parse_voices(self, data: Any, locale: str) -> list[Any]:
        if not isinstance(data, list):
            raise SynthesisError(f"{self.label}: the voice list was not a list")
        found = []
        for entry in data:
            if isinstance(entry, dict) and str(entry.get("Locale", "")) == locale:
                found.append(
                    RemoteVoice(
                        name=str(entry.get("ShortName", "?")),
                        gender=str(entry.get("Gender", "?")),
                        kind=str(entry.get("VoiceType", "?")),
                        locale=locale,
                    )
                )
        return sorted(found, key=lambda v: v.name)


ENGINE = AzureEngine

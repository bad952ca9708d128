"""Google Cloud Text-to-Speech v1 as far as the google-cloud engine uses it:
POST /v1/text:synthesize and GET /v1/voices on texttospeech.googleapis.com.

It checks what the service checks: the API key in X-Goog-Api-Key (a wrong one is answered
400 INVALID_ARGUMENT with the ErrorInfo reason API_KEY_INVALID, as Google does, not 401); a
key in the URL is refused here so a test sees it (the real service would take it, and the
key would be in a URL); a JSON body with exactly one of input.ssml / input.text, SSML that
parses as <speak>, a voice it lists with its language code, plain text for Chirp voices,
audioEncoding LINEAR16. It answers {"audioContent": base64 of a WAV}, as the service does
for LINEAR16 ("we include the WAV header").
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from .server import Answer, Request, Speech

VOICES = (
    ("ko-KR-Neural2-A", "FEMALE"),
    ("ko-KR-Neural2-B", "FEMALE"),
    ("ko-KR-Neural2-C", "MALE"),
    ("ko-KR-Wavenet-A", "FEMALE"),
    ("ko-KR-Wavenet-C", "MALE"),
    ("ko-KR-Standard-A", "FEMALE"),
    ("ko-KR-Standard-D", "MALE"),
    ("ko-KR-Chirp3-HD-Aoede", "FEMALE"),
    ("ko-KR-Chirp3-HD-Charon", "MALE"),
)
RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)


def google_error(code: int, status: str, message: str, reason: str = "", **meta: str) -> Answer:
    error: dict[str, object] = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "texttospeech.googleapis.com", **meta},
            }
        ]
    return Answer(code, json.dumps({"error": error}).encode())


@dataclass
class GoogleCloud:
    key: str
    hosts: tuple[str, ...] = ("texttospeech.googleapis.com",)

    def route(self, request: Request) -> Answer | Speech:
        url = urlsplit(request.target)
        query = parse_qs(url.query)
        if "key" in query:
            return google_error(400, "INVALID_ARGUMENT", "test stand-in: API key in the URL")
        if request.headers.get("x-goog-api-key") != self.key:
            return self.error(400, "auth")
        if request.method == "GET" and url.path == "/v1/voices":
            language = (query.get("languageCode") or [""])[0]
            voices = [
                {
                    "languageCodes": [n[:5]],
                    "name": n,
                    "ssmlGender": g,
                    "naturalSampleRateHertz": 24000,
                }
                for n, g in VOICES
                if not language or n.startswith(language)
            ]
            return Answer(200, json.dumps({"voices": voices}).encode())
        if request.method != "POST" or url.path != "/v1/text:synthesize":
            return google_error(404, "NOT_FOUND", "no such method")
        try:
            body = json.loads(request.body.decode("utf-8"))
            source, voice, config = body["input"], body["voice"], body["audioConfig"]
        except (ValueError, KeyError, TypeError):
            return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        names = dict(VOICES)
        name = voice.get("name")
        if name not in names or voice.get("languageCode") != name[:5]:
            return google_error(400, "INVALID_ARGUMENT", f"Voice '{name}' does not exist.")
        if config.get("audioEncoding") != "LINEAR16":
            return google_error(400, "INVALID_ARGUMENT", "test stand-in expects LINEAR16")
        rate = int(config.get("sampleRateHertz") or 24000)
        if rate not in RATES:
            return google_error(400, "INVALID_ARGUMENT", "bad sampleRateHertz")
        if ("ssml" in source) == ("text" in source):
            return google_error(400, "INVALID_ARGUMENT", "exactly one of text or ssml")
        if "ssml" in source:
            if "Chirp" in name:
                return google_error(400, "INVALID_ARGUMENT", "This voice does not support SSML.")
            if len(source["ssml"].encode("utf-8")) > 5000:
                return google_error(400, "INVALID_ARGUMENT", "Input is longer than 5000 bytes.")
            try:
                root = ET.fromstring(source["ssml"])
            except ET.ParseError as exc:
                return google_error(400, "INVALID_ARGUMENT", f"Invalid SSML: {exc}")
            if not root.tag.endswith("speak"):
                return google_error(400, "INVALID_ARGUMENT", "SSML must be a <speak> document")
            text = "".join(root.itertext()).strip()
        else:
            text = str(source["text"]).strip()
        if not text:
            return google_error(400, "INVALID_ARGUMENT", "nothing to speak")
        return Speech(text, name, rate)

    def audio_answer(self, speech: Speech, wav: bytes) -> Answer:
        if not wav:
            return Answer(200, b"{}")
        return Answer(200, json.dumps({"audioContent": base64.b64encode(wav).decode()}).encode())

    def error(self, status: int, kind: str) -> Answer:
        if kind == "auth":
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                "API_KEY_INVALID",
            )
        if kind == "forbidden":
            return google_error(
                403,
                "PERMISSION_DENIED",
                "Cloud Text-to-Speech API has not been used in project 1 before or it is disabled.",
                "SERVICE_DISABLED",
            )
        if kind == "quota":
            return google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Characters'.",
                "RATE_LIMIT_EXCEEDED",
                quota_limit="CharactersPerDayPerProject",
            )
        if kind == "rate":
            return google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Requests'.",
                "RATE_LIMIT_EXCEEDED",
                quota_limit="RequestsPerMinutePerProject",
            )
        return google_error(status, "UNAVAILABLE" if status == 503 else "INTERNAL", "try again")

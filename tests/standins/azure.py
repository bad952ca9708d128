"""Azure AI Speech as far as the azure engine uses it: POST /cognitiveservices/v1 and
GET /cognitiveservices/voices/list on <region>.tts.speech.microsoft.com.

It checks what the service checks (Microsoft Learn, "Text to speech REST API"): the key in
Ocp-Apim-Subscription-Key (else 401), Content-Type application/ssml+xml (else 415), a
User-Agent and a known X-Microsoft-OutputFormat (else 400), and SSML that parses, is
<speak version="1.0"> in the SSML namespace with xml:lang, and names a voice it lists
(else 400). It answers RIFF 16-bit mono PCM at the format's rate.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .server import Answer, Request, Speech

NS = "{http://www.w3.org/2001/10/synthesis}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FORMATS = {"riff-24khz-16bit-mono-pcm": 24_000, "riff-48khz-16bit-mono-pcm": 48_000}
VOICES = (
    ("ko-KR-SunHiNeural", "Female"),
    ("ko-KR-InJoonNeural", "Male"),
    ("ko-KR-HyunsuNeural", "Male"),
    ("ko-KR-JiMinNeural", "Female"),
    ("ko-KR-BongJinNeural", "Male"),
    ("en-US-JennyNeural", "Female"),
)
BREAK = re.compile(r"^\d+(\.\d+)?(ms|s)$")


@dataclass
class Azure:
    key: str
    region: str = "koreacentral"

    @property
    def hosts(self) -> tuple[str, ...]:
        return (f"{self.region}.tts.speech.microsoft.com",)

    def _bad(self, status: int, message: str) -> Answer:
        body = json.dumps({"error": {"code": str(status), "message": message}})
        return Answer(status, body.encode())

    def route(self, request: Request) -> Answer | Speech:
        if request.headers.get("host", "").split(":")[0] != self.hosts[0]:
            return self._bad(400, "wrong host")
        if request.headers.get("ocp-apim-subscription-key") != self.key:
            return self.error(401, "auth")
        if request.method == "GET" and request.target == "/cognitiveservices/voices/list":
            voices = [
                {
                    "Name": f"Microsoft Server Speech Text to Speech Voice ({n[:5]}, {n[6:]})",
                    "ShortName": n,
                    "Gender": g,
                    "Locale": n[:5],
                    "SampleRateHertz": "24000",
                    "VoiceType": "Neural",
                    "Status": "GA",
                }
                for n, g in VOICES
            ]
            return Answer(200, json.dumps(voices).encode())
        if request.method != "POST" or request.target != "/cognitiveservices/v1":
            return self._bad(404, "no such endpoint")
        if request.headers.get("content-type", "").split(";")[0] != "application/ssml+xml":
            return self._bad(415, "Content-Type should be application/ssml+xml")
        if not request.headers.get("user-agent"):
            return self._bad(400, "User-Agent is required")
        rate = FORMATS.get(request.headers.get("x-microsoft-outputformat", ""))
        if rate is None:
            return self._bad(400, "unsupported output format")
        try:
            root = ET.fromstring(request.body.decode("utf-8"))
        except (ET.ParseError, UnicodeDecodeError) as exc:
            return self._bad(400, f"SSML does not parse: {exc}")
        if root.tag != f"{NS}speak" or root.get("version") != "1.0" or not root.get(XML_LANG):
            return self._bad(400, "SSML root must be <speak version='1.0' xml:lang=...>")
        voice = root.find(f"{NS}voice")
        names = [n for n, _ in VOICES]
        if voice is None or voice.get("name") not in names:
            return self._bad(400, "unknown voice")
        for element in root.iter(f"{NS}break"):
            if not BREAK.match(element.get("time", "")):
                return self._bad(400, "bad break time")
        text = "".join(voice.itertext()).strip()
        if not text:
            return self._bad(400, "nothing to speak")
        return Speech(text, str(voice.get("name")), rate)

    def audio_answer(self, speech: Speech, wav: bytes) -> Answer:
        return Answer(200, wav, "audio/x-wav")

    def error(self, status: int, kind: str) -> Answer:
        if kind == "auth":
            return self._bad(
                401,
                "Access denied due to invalid subscription key or wrong API endpoint. Make "
                "sure to provide a valid key for an active subscription and use a correct "
                "regional API endpoint for your resource.",
            )
        if kind == "forbidden":
            return self._bad(403, "Out of call volume quota. Quota will be replenished later.")
        if kind == "quota":
            return self._bad(429, "Quota exceeded for this resource's monthly allowance.")
        if kind == "rate":
            return self._bad(429, "Too many requests.")
        return Answer(status, b"")

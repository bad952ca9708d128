"""A local HTTPS stand-in for a speech service, reached by the real engine code through
HTTPS_PROXY with a test CA in REQUESTS_CA_BUNDLE: certificates are verified, the real
hostnames are used, nothing leaves 127.0.0.1.

The server is an HTTP proxy that answers `CONNECT <service host>:443` itself, terminates TLS
with a certificate for that host from a throwaway CA (trustme), and serves HTTP/1.1 with
keep-alive (the engines reuse their connections). Each request to the synthesis endpoint
draws its fault from a seeded schedule; the service module (azure.py, google_cloud.py) says
what a valid request is and what the service answers. The audio is a deterministic function
of the request, so a run through faults and a fault-free run give identical clips.

Bounded like tests/faultserver.py: `max_requests`, `lifetime_s`, `hang_s`, and `stop()`
joins every thread.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import io
import random
import select
import socket
import ssl
import threading
import time
import unicodedata
import wave
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import trustme

CONNECT_FAULTS = ("refuse", "connect_hang")
TRANSPORT_FAULTS = ("hang", "hang_mid_body", "drop_mid_body", "drop_unframed")
STATUS_FAULTS = ("429", "429_date", "429_bare", "500", "503")
AUDIO_FAULTS = ("empty", "truncated", "garbage", "silent", "short_audio")
# what a 30 % run draws from: everything a healthy service does now and then
TRANSIENT_FAULTS = CONNECT_FAULTS + TRANSPORT_FAULTS + STATUS_FAULTS + AUDIO_FAULTS
# answers no retry can change: tested one by one, never drawn at random
FATAL_FAULTS = ("401", "403", "429_quota")
ALL_FAULTS = TRANSIENT_FAULTS + FATAL_FAULTS


class Schedule:
    """Seeded: the n-th synthesis request gets the n-th draw; `first` scripts the first."""

    def __init__(
        self,
        rate: float,
        seed: int = 7,
        faults: Iterable[str] = TRANSIENT_FAULTS,
        first: Iterable[str] = (),
    ) -> None:
        self.rate = rate
        self.faults = tuple(faults)
        self._first = list(first)
        unknown = (set(self.faults) | set(self._first)) - {*ALL_FAULTS, "ok"}
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            if self._first:
                return self._first.pop(0)
            if self.faults and self._rng.random() < self.rate:
                return self._rng.choice(self.faults)
            return "ok"


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query as sent
    headers: dict[str, str]  # names in lower case
    body: bytes
    host: str  # the CONNECT target's host


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Speech:
    """A valid synthesis request, as the service understood it."""

    text: str
    voice: str
    rate: int  # sample rate of the answer


class Service(Protocol):
    hosts: tuple[str, ...]

    def route(self, request: Request) -> Answer | Speech:
        """An answer (the voice list, or an error for an invalid request), or the speech a
        valid synthesis request asks for, to be answered through the fault schedule."""

    def audio_answer(self, speech: Speech, wav: bytes) -> Answer:
        """The 200 a synthesis request gets, with `wav` as the service encodes it."""

    def error(self, status: int, kind: str) -> Answer:
        """The service's error answer: kind is 'auth', 'forbidden', 'quota', 'rate', 'server'."""


@dataclass(frozen=True)
class Record:
    t: float
    fault: str
    target: str = ""
    text: str | None = None
    voice: str | None = None
    connection: int = 0  # which TLS connection carried it


def voiced(text: str, voice: str, rate: int, seconds_per_letter: float = 0.09) -> np.ndarray:
    """A deterministic voiced signal for `text` in `voice`: its pitch from the voice, its
    syllable rhythm and length from the text. Not speech, but speech-shaped for our checks."""
    key = unicodedata.normalize("NFC", f"{voice}\n{text}").encode("utf-8")
    digest = hashlib.sha256(key).digest()
    letters = sum(1 for c in text if c.isalnum())
    seconds = 0.3 + seconds_per_letter * max(1, letters)
    f0 = 110.0 + (hashlib.sha256(voice.encode()).digest()[0] % 120)
    syllables = 3.5 + (digest[1] % 30) / 10
    phase = digest[2] / 255 * 2 * np.pi
    t = np.arange(round(seconds * rate)) / rate
    carrier = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 5))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * syllables * t + phase)
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    return (0.25 * carrier * envelope * fade).astype(np.float32)


def wav_bytes(samples: np.ndarray, rate: int, declared_frames: int | None = None) -> bytes:
    ints = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(ints.tobytes())
    data = buffer.getvalue()
    if declared_frames is not None:  # a header that promises more than the body holds
        data = data[:40] + (declared_frames * 2).to_bytes(4, "little") + data[44:]
    return data


@dataclass
class StandIn:
    service: Service
    schedule: Schedule
    also: tuple[Service, ...] = ()  # more services behind the same proxy (by host)
    hang_s: float = 5.0
    retry_after_s: int = 1
    max_requests: int = 2000
    lifetime_s: float = 240.0
    records: list[Record] = field(default_factory=list)
    connections: int = 0
    overflow: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self.ca = trustme.CA()
        self._by_host = {h: s for s in (self.service, *self.also) for h in s.hosts}
        cert = self.ca.issue_cert(*self._by_host)
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._tls)
        self._listener: socket.socket | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> StandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_ca(self, path: Path) -> Path:
        """The test CA as a PEM bundle, for REQUESTS_CA_BUNDLE."""
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        host, self.port = listener.getsockname()[:2]
        assert host == "127.0.0.1"  # loopback only, always
        listener.settimeout(0.1)
        self._listener = listener
        self._started = time.monotonic()
        self._spawn(self._accept_loop, "standin-accept")

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            open_sockets = list(self._sockets)
        for sock in open_sockets:
            _close(sock)
        deadline = time.monotonic() + 10.0
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if self._listener is not None:
            self._listener.close()
        if alive:
            raise RuntimeError(f"stand-in threads still running: {alive}")

    def _spawn(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    # --- what the tests read ----------------------------------------------------------------
    def faults(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.records:
            counts[r.fault] = counts.get(r.fault, 0) + 1
        return counts

    def synthesis_records(self) -> list[Record]:
        return [r for r in self.records if r.fault not in ("voices", "invalid")]

    # --- serving ----------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            if time.monotonic() - self._started > self.lifetime_s:
                break
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            assert peer[0] == "127.0.0.1"
            with self._lock:
                if len(self.records) + self.overflow >= self.max_requests:
                    self.overflow += 1
                    conn.close()
                    continue
                self._sockets.add(conn)
            self._spawn(self._serve, "standin-conn", conn)

    def _record(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)

    def _hold(self, sock: socket.socket, seconds: float | None = None) -> None:
        end = time.monotonic() + (self.hang_s if seconds is None else seconds)
        while not self._stop.is_set() and time.monotonic() < end:
            try:
                ready, _, _ = select.select([sock], [], [], 0.05)
                if ready and not sock.recv(1024):
                    return
            except (OSError, ValueError):
                return

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        sock: socket.socket = conn
        try:
            head = _read_head(conn)
            if head is None:
                return
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            host = target.rsplit(":", 1)[0]
            service = self._by_host.get(host)
            if method != "CONNECT" or service is None:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            fault: str | None = self.schedule.next()
            if fault == "refuse":
                self._record(Record(time.monotonic(), fault))
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if fault == "connect_hang":
                self._record(Record(time.monotonic(), fault))
                self._hold(conn)
                return
            sock = self._tls.wrap_socket(conn, server_side=True)
            with self._lock:
                self._sockets.discard(conn)
                self._sockets.add(sock)
                self.connections += 1
                number = self.connections
            while not self._stop.is_set():
                request = _read_request(sock, host)
                if request is None:
                    return
                if not self._answer(service, sock, request, fault, number):
                    return
                fault = None  # later requests on this connection draw their own
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            with self._lock:
                self._sockets.discard(conn)
                self._sockets.discard(sock)
            _close(sock)

    def _answer(
        self, service: Service, sock: socket.socket, request: Request, fault: str | None, conn: int
    ) -> bool:
        """Answer one request; False when the connection ends with it."""
        now = time.monotonic()
        routed = service.route(request)
        if isinstance(routed, Answer):
            kind = "voices" if routed.status == 200 else "invalid"
            self._record(Record(now, kind, request.target, connection=conn))
            _send(sock, routed, keep_alive=routed.status == 200)
            return routed.status == 200
        if fault is None:
            fault = self.schedule.next()
            if fault in CONNECT_FAULTS:  # too late to refuse the connection: drop it instead
                self._record(Record(now, fault, request.target, routed.text, routed.voice, conn))
                return False
        self._record(Record(now, fault, request.target, routed.text, routed.voice, conn))
        samples = voiced(routed.text, routed.voice, routed.rate)
        ok = service.audio_answer(routed, wav_bytes(samples, routed.rate))
        if fault == "ok":
            _send(sock, ok, keep_alive=True)
            return True
        if fault in ("429", "429_date", "429_bare"):
            answer = service.error(429, "rate")
            extra: tuple[tuple[str, str], ...] = ()
            if fault == "429":
                extra = (("Retry-After", str(self.retry_after_s)),)
            elif fault == "429_date":
                when = email.utils.formatdate(time.time() + self.retry_after_s, usegmt=True)
                extra = (("Retry-After", when),)
            _send(sock, Answer(429, answer.body, answer.content_type, extra))
        elif fault in ("500", "503"):
            _send(sock, service.error(int(fault), "server"))
        elif fault == "401":
            _send(sock, service.error(401, "auth"))
        elif fault == "403":
            _send(sock, service.error(403, "forbidden"))
        elif fault == "429_quota":
            _send(sock, service.error(429, "quota"))
        elif fault == "hang":
            self._hold(sock)
        elif fault in ("hang_mid_body", "drop_mid_body", "drop_unframed"):
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {ok.content_type}\r\n"
            if fault != "drop_unframed":
                head += f"Content-Length: {len(ok.body)}\r\n"
            sock.sendall(
                (head + "Connection: close\r\n\r\n").encode() + ok.body[: len(ok.body) // 2]
            )
            if fault == "hang_mid_body":
                self._hold(sock)
        elif fault == "empty":
            _send(sock, service.audio_answer(routed, b""))
        elif fault == "truncated":
            whole = wav_bytes(samples, routed.rate)
            cut = whole[: 44 + (len(whole) - 44) // 3]
            _send(sock, service.audio_answer(routed, cut))
        elif fault == "garbage":
            junk = hashlib.sha256(routed.text.encode()).digest() * 64
            _send(sock, service.audio_answer(routed, junk))
        elif fault == "silent":
            silence = np.zeros_like(samples)
            _send(sock, service.audio_answer(routed, wav_bytes(silence, routed.rate)))
        elif fault == "short_audio":
            short = wav_bytes(samples[: len(samples) // 10], routed.rate)
            _send(sock, service.audio_answer(routed, short))
        else:  # pragma: no cover - the schedule only draws known faults
            raise AssertionError(fault)
        return False


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _read_head(sock: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            return None
        if not chunk or len(data) > 65536:
            return None
        data += chunk
    return data


def _read_request(sock: socket.socket, host: str) -> Request | None:
    data = _read_head(sock)
    if data is None:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return Request(method, target, headers, body[:length], host)


def _send(sock: socket.socket, answer: Answer, keep_alive: bool = False) -> None:
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}
    reasons.update({404: "Not Found", 415: "Unsupported Media Type", 429: "Too Many Requests"})
    reasons.update({500: "Internal Server Error", 503: "Service Unavailable"})
    head = f"HTTP/1.1 {answer.status} {reasons.get(answer.status, 'Error')}\r\n"
    head += f"Content-Type: {answer.content_type}\r\nContent-Length: {len(answer.body)}\r\n"
    for name, value in answer.headers:
        head += f"{name}: {value}\r\n"
    head += "Connection: keep-alive\r\n" if keep_alive else "Connection: close\r\n"
    sock.sendall((head + "\r\n").encode("latin-1") + answer.body)

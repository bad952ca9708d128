"""A local HTTPS stand-in for Google's TTS endpoint, with faults injected per request.

The real gTTS reaches it: gTTS sends through `urllib.request.getproxies()` (HTTPS_PROXY) and
does not verify certificates, so this server listens on 127.0.0.1 as an HTTP proxy, answers
`CONNECT translate.google.com:443` itself, terminates TLS with a throwaway certificate
(trustme), and serves the batchexecute answer. It never opens a connection of its own:
nothing leaves the machine.

Each connection (gTTS opens one per request) draws its fault from a seeded schedule. The
audio it serves is a deterministic function of the requested text (a voiced tone whose pitch,
syllable rate and length come from the text), so a run through faults and a fault-free run
must produce identical clips.

Bounded: at most `max_connections` connections are served (later ones are closed at once
and counted as overflow), the server stops accepting after `lifetime_s`, every hold ends
after `hang_s` or when the client goes away, and `stop()` joins every thread.

The benchmark (bench/) serves through it too: `latency_s` holds every answer that
long after the request has been read (a fixed service time per request), and
`seconds_per_letter` sets the pace of the speech it returns.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import json
import random
import select
import socket
import ssl
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import trustme

from .conftest import SR, mp3_bytes, sent_text

PATH = "/_/TranslateWebserverUi/data/batchexecute"

# faults before the HTTP request: the proxy tunnel or the TLS handshake never works
CONNECT_FAULTS = ("refuse", "connect_hang")
# faults in the answer to the request
ANSWER_FAULTS = (
    "429",  # Retry-After in seconds
    "429_date",  # Retry-After as an HTTP date
    "429_bare",  # no Retry-After
    "500",
    "503",
    "hang",  # request read, no answer ever
    "hang_mid_body",  # headers and half the body, then nothing
    "trickle",  # the body one byte at a time, each within the client's read timeout
    "no_audio",  # 200, the RPC answered without audio
    "empty",  # 200, no RPC answer at all
    "garbage",  # 200, base64 that is not MP3
    "silent",  # 200, an MP3 of silence
    "short_audio",  # 200, an MP3 of a tenth of the speech
    "drop_mid_body",  # Content-Length announced, connection closed half-way
    "drop_chunked",  # chunked body, connection closed half-way
    "drop_unframed",  # no length (close-delimited), connection closed half-way
)
ALL_FAULTS = CONNECT_FAULTS + ANSWER_FAULTS


class FaultSchedule:
    """Seeded: the n-th connection gets the n-th draw. `rate` of them fail, evenly over
    `faults`; `rate=1.0` fails every request. `first` scripts the first connections."""

    def __init__(
        self,
        rate: float,
        seed: int = 7,
        faults: Iterable[str] = ALL_FAULTS,
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
class Record:
    t: float  # time.monotonic() when the connection asked for the tunnel
    fault: str
    text: str | None = None  # the text gTTS sent, when the request got that far


_AUDIO_CACHE: dict[tuple[str, float], bytes] = {}
_AUDIO_LOCK = threading.Lock()
SECONDS_PER_LETTER = 0.09


def speech_for(text: str, seconds_per_letter: float = SECONDS_PER_LETTER) -> np.ndarray:
    """A deterministic speech-like signal for `text` at 48 kHz: 0.09 s per letter by default."""
    digest = hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).digest()
    letters = sum(1 for c in text if c.isalnum())
    seconds = 0.3 + seconds_per_letter * max(1, letters)
    f0 = 130.0 + digest[0] % 90
    rate = 3.5 + (digest[1] % 30) / 10
    phase = digest[2] / 255 * 2 * np.pi
    t = np.arange(round(seconds * SR)) / SR
    carrier = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 5))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * rate * t + phase)
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    return (0.25 * carrier * envelope * fade).astype(np.float32)


def mp3_for(text: str, seconds_per_letter: float = SECONDS_PER_LETTER) -> bytes:
    with _AUDIO_LOCK:
        cached = _AUDIO_CACHE.get((text, seconds_per_letter))
    if cached is None:
        cached = mp3_bytes(speech_for(text, seconds_per_letter))
        with _AUDIO_LOCK:
            _AUDIO_CACHE[(text, seconds_per_letter)] = cached
    return cached


def rpc_body(audio_b64: str | None) -> bytes:
    payload = None if audio_b64 is None else json.dumps([audio_b64], separators=(",", ":"))
    line = json.dumps(
        [["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]], separators=(",", ":")
    )
    return (")]}'\n\n" + line + "\n").encode("ascii")


def answer_body(text: str, seconds_per_letter: float = SECONDS_PER_LETTER) -> bytes:
    return rpc_body(base64.b64encode(mp3_for(text, seconds_per_letter)).decode("ascii"))


@dataclass
class FaultServer:
    schedule: FaultSchedule
    hang_s: float = 15.0  # longest hold of a hung connection
    trickle_interval_s: float = 0.1
    retry_after_s: int = 1
    max_connections: int = 1000
    lifetime_s: float = 240.0
    latency_s: float = 0.0  # every answer waits this long after its request was read
    seconds_per_letter: float = SECONDS_PER_LETTER  # pace of the speech served
    records: list[Record] = field(default_factory=list)
    overflow: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        ca = trustme.CA()
        cert = ca.issue_cert("translate.google.com", "*.google.com")
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._tls)
        self._listener: socket.socket | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> FaultServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        host, self.port = listener.getsockname()[:2]
        assert host == "127.0.0.1"  # loopback only, always
        listener.settimeout(0.1)
        self._listener = listener
        self._started = time.monotonic()
        self._spawn(self._accept_loop, "faultserver-accept")

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            open_sockets = list(self._sockets)
        for sock in open_sockets:
            self._close(sock)
        deadline = time.monotonic() + 10.0
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if self._listener is not None:
            self._listener.close()
        if alive:
            raise RuntimeError(f"fault server threads still running: {alive}")

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    # --- what the tests read ----------------------------------------------------------------
    def requests_in_window(self, seconds: float) -> int:
        """The most connections that arrived within any window of `seconds`."""
        times = sorted(r.t for r in self.records)
        best = 0
        lo = 0
        for hi, t in enumerate(times):
            while t - times[lo] > seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def faults(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.records:
            counts[r.fault] = counts.get(r.fault, 0) + 1
        return counts

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
                served = len(self.records) + self.overflow
                if served >= self.max_connections:
                    self.overflow += 1
                    conn.close()
                    continue
                self._sockets.add(conn)
            self._spawn(self._serve, "faultserver-conn", conn)

    def _close(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _hold(self, sock: socket.socket, seconds: float | None = None) -> None:
        """Keep the connection open, saying nothing, until the client leaves or time is up."""
        end = time.monotonic() + (self.hang_s if seconds is None else seconds)
        while not self._stop.is_set() and time.monotonic() < end:
            try:
                ready, _, _ = select.select([sock], [], [], 0.05)
                if ready and not sock.recv(1024):
                    return  # the client closed: it gave up waiting
            except (OSError, ValueError):
                return

    def _read_head(self, sock: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk or len(data) > 16384:
                return None
            data += chunk
        return data

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        sock: socket.socket = conn
        try:
            head = self._read_head(conn)
            if head is None:
                return
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            if method != "CONNECT" or not target.startswith("translate.google."):
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            fault = self.schedule.next()
            record_at = time.monotonic()
            if fault == "refuse":
                self._record(Record(record_at, fault))
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if fault == "connect_hang":
                self._record(Record(record_at, fault))
                self._hold(conn)  # the client's TLS handshake is never answered
                return
            sock = self._tls.wrap_socket(conn, server_side=True)
            with self._lock:
                self._sockets.discard(conn)
                self._sockets.add(sock)
            request = self._read_head(sock)
            if request is None:
                self._record(Record(record_at, fault))
                return
            header, _, body = request.partition(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            verb, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])
            }
            length = int(headers.get("content-length", "0"))
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                body += chunk
            if verb == "HEAD":
                self._record(Record(record_at, "probe"))
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            if verb != "POST" or path != PATH:
                sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return
            text = sent_text(body.decode("ascii"))
            self._record(Record(record_at, fault, text))
            if self.latency_s > 0 and self._stop.wait(self.latency_s):
                return
            self._answer(sock, fault, text)
        except (OSError, ssl.SSLError, ValueError):
            return  # the client went away, or the test is stopping
        finally:
            with self._lock:
                self._sockets.discard(conn)
                self._sockets.discard(sock)
            self._close(sock)

    def _record(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)

    def _answer(self, sock: socket.socket, fault: str, text: str) -> None:
        def send(status: str, body: bytes = b"", extra: str = "", framed: bool = True) -> None:
            head = f"HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n"
            if framed:
                head += f"Content-Length: {len(body)}\r\n"
            sock.sendall((head + extra + "Connection: close\r\n\r\n").encode("latin-1") + body)

        if fault == "ok":
            send("200 OK", answer_body(text, self.seconds_per_letter))
        elif fault == "429":
            send("429 Too Many Requests", b"{}", f"Retry-After: {self.retry_after_s}\r\n")
        elif fault == "429_date":
            when = email.utils.formatdate(time.time() + self.retry_after_s, usegmt=True)
            send("429 Too Many Requests", b"{}", f"Retry-After: {when}\r\n")
        elif fault == "429_bare":
            send("429 Too Many Requests", b"{}")
        elif fault in ("500", "503"):
            send(f"{fault} Server Error", b"{}")
        elif fault == "hang":
            self._hold(sock)
        elif fault in ("hang_mid_body", "drop_mid_body"):
            body = answer_body(text, self.seconds_per_letter)
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            sock.sendall(head.encode("latin-1") + body[: len(body) // 2])
            if fault == "hang_mid_body":
                self._hold(sock)
        elif fault == "drop_chunked":
            body = answer_body(text, self.seconds_per_letter)
            half = body[: len(body) // 2]
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            )
            sock.sendall(head.encode("latin-1") + f"{len(half):x}\r\n".encode() + half + b"\r\n")
        elif fault == "drop_unframed":
            body = answer_body(text, self.seconds_per_letter)
            head = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
            sock.sendall((head + "Connection: close\r\n\r\n").encode() + body[: len(body) // 2])
        elif fault == "trickle":
            body = answer_body(text, self.seconds_per_letter)
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            sock.sendall(head.encode("latin-1"))
            end = time.monotonic() + self.hang_s
            for i in range(len(body)):
                if self._stop.wait(self.trickle_interval_s) or time.monotonic() > end:
                    return
                sock.sendall(body[i : i + 1])
        elif fault == "no_audio":
            send("200 OK", rpc_body(None))
        elif fault == "empty":
            send("200 OK", b')]}\'\n\n[["di",42]]\n')
        elif fault == "garbage":
            junk = hashlib.sha256(text.encode()).digest() * 64
            send("200 OK", rpc_body(base64.b64encode(junk).decode("ascii")))
        elif fault == "silent":
            silence = np.zeros(round(SR * 0.11 * max(1, len(text))), dtype=np.float32)
            send("200 OK", rpc_body(base64.b64encode(mp3_bytes(silence)).decode("ascii")))
        elif fault == "short_audio":
            speech = speech_for(text, self.seconds_per_letter)
            short = mp3_bytes(speech[: len(speech) // 10])
            send("200 OK", rpc_body(base64.b64encode(short).decode("ascii")))
        else:  # pragma: no cover - the schedule only draws known faults
            raise AssertionError(fault)

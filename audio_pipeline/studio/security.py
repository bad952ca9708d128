"""What keeps the studio safe for the people it protects: who may use it, which requests it
answers, and what a browser may do with its pages.

- Binding: loopback by default. Any other address needs a password from
  $AUDIO_PIPELINE_STUDIO_PASSWORD; without one the studio refuses to start (server.py).
- Sessions: a random token in a cookie (HttpOnly, SameSite=Strict: RFC 6265bis 5.4.7), the
  session kept in this process only, renewed at login (no session fixation), ended after
  12 idle hours. With a password, every page but the login page needs a signed-in session.
- Login: at most 5 failures a minute per client address, then 429 with Retry-After; the
  password compared in constant time.
- CSRF (OWASP CSRF Prevention Cheat Sheet: synchronizer token): every POST/PUT/PATCH/DELETE
  carries the session's token, in the `X-CSRF-Token` header (htmx) or the `csrf` form field;
  without it, 403 and nothing done. A request whose Origin is not this studio is refused too.
- Host: only the names the studio was started for (loopback names, the bound address,
  $AUDIO_PIPELINE_STUDIO_HOSTS): a page of another site that rebinds its name to 127.0.0.1
  (DNS rebinding) cannot read the studio.
- Headers on every answer: a strict Content-Security-Policy (CSP Level 3: scripts and styles
  from the studio's own files only, no inline script, no eval), nosniff, no referrer, no
  framing, and `Cache-Control: no-store` (message texts are not kept in the browser's cache).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response

ENV_PASSWORD = "AUDIO_PIPELINE_STUDIO_PASSWORD"
ENV_HOSTS = "AUDIO_PIPELINE_STUDIO_HOSTS"
COOKIE = "studio_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
SESSION_IDLE_S = 12 * 3600
MAX_SESSIONS = 1000  # kept at most: a flood of cookieless requests cannot fill the memory
LOGIN_FAILURES = 5  # per client address ...
LOGIN_WINDOW_S = 60.0  # ... in this many seconds, then 429
MAX_FORM_BYTES = 512 * 1024  # a message file is at most 256 KiB
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN_PATHS = ("/login", "/static/")  # reachable before signing in

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and 'localhost': reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Session:
    token: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    signed_in: bool = False
    last_seen: float = field(default_factory=time.monotonic)
    reviewer: str = ""  # the name last given for a decision: offered again
    notice: str = ""  # one line shown on the next page (after a redirect)

    def take_notice(self) -> str:
        notice, self.notice = self.notice, ""
        return notice


class Sessions:
    """The studio's sessions, in this process only: a restart signs everyone out."""

    def __init__(self) -> None:
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._by_token.get(token)
            if session is None:
                return None
            if now - session.last_seen > SESSION_IDLE_S:
                del self._by_token[token]
                return None
            session.last_seen = now
            return session

    def new(self) -> Session:
        session = Session(secrets.token_urlsafe(32))
        with self._lock:
            if len(self._by_token) >= MAX_SESSIONS:
                unused = sorted(self._by_token.values(), key=lambda s: (s.signed_in, s.last_seen))
                for old in unused[: len(unused) - MAX_SESSIONS + 1]:
                    del self._by_token[old.token]
            self._by_token[session.token] = session
        return session

    def renew(self, old: Session) -> Session:
        """A new token and CSRF token for a signed-in session (no session fixation)."""
        session = self.new()
        session.reviewer = old.reviewer
        self.end(old)
        return session

    def end(self, session: Session) -> None:
        with self._lock:
            self._by_token.pop(session.token, None)


class LoginLimiter:
    """At most LOGIN_FAILURES failed logins per client address in LOGIN_WINDOW_S."""

    def __init__(self, failures: int = LOGIN_FAILURES, window_s: float = LOGIN_WINDOW_S) -> None:
        self.failures = failures
        self.window_s = window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds the client must wait before trying again (0: it may try now)."""
        now = time.monotonic()
        with self._lock:
            times = self._seen.get(client)
            if times is None:
                return 0
            while times and now - times[0] > self.window_s:
                times.popleft()
            if len(times) < self.failures:
                return 0
            return max(1, int(self.window_s - (now - times[0])) + 1)

    def failed(self, client: str) -> None:
        with self._lock:
            self._seen.setdefault(client, deque()).append(time.monotonic())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._seen.pop(client, None)


def password_matches(given: str, expected: str) -> bool:
    """Compared in constant time (the digests, so the length does not show either)."""
    a = hashlib.sha256(given.encode("utf-8")).digest()
    b = hashlib.sha256(expected.encode("utf-8")).digest()
    return hmac.compare_digest(a, b)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Policy:
    password: str | None  # None: loopback, no sign-in
    hosts: frozenset[str]  # Host header names answered


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):  # [::1]:8765
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class Guard:
    """ASGI middleware: the Host check, the session, sign-in, CSRF and the security headers,
    for every request before any page sees it."""

    def __init__(self, app: ASGIApp, policy: Policy, sessions: Sessions) -> None:
        self.app = app
        self.policy = policy
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        session = self.sessions.get(_cookie(headers.get("cookie", "")))
        fresh = session is None
        if session is None:
            session = self.sessions.new()
        scope.setdefault("state", {})["session"] = session
        send = _with_headers(send, scope, session if fresh else None)

        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if scope["method"] in UNSAFE_METHODS:
            receive, ok = await _csrf_checked(receive, headers, scope)
            if not ok:
                await PlainTextResponse(
                    "refused: this request did not carry the page's security token (CSRF); "
                    "reload the page and try again",
                    status_code=403,
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: Headers) -> Response | None:
        host = _host_name(headers.get("host", ""))
        if host not in self.policy.hosts:
            return PlainTextResponse("refused: unknown host name", status_code=421)
        origin = headers.get("origin")
        # "null" is what a browser sends under `Referrer-Policy: no-referrer` (Fetch
        # "serializing a request origin"): it says nothing, and the CSRF token decides
        if scope["method"] in UNSAFE_METHODS and origin not in (None, "null"):
            parsed = urllib.parse.urlsplit(origin)
            if parsed.hostname is None or parsed.hostname not in self.policy.hosts:
                return PlainTextResponse("refused: the request came from another site", 403)
        session: Session = scope["state"]["session"]
        path = str(scope.get("path", ""))
        locked = self.policy.password is not None and not session.signed_in
        if locked and not path.startswith(OPEN_PATHS):
            if scope["method"] == "GET" and "text/event-stream" not in headers.get("accept", ""):
                return RedirectResponse("/login", status_code=303)
            return PlainTextResponse("sign in first", status_code=401)
        return None


def _cookie(header: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def _with_headers(send: Send, scope: Scope, new_session: Session | None) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            raw = list(message.get("headers", []))
            present = {k.lower() for k, _ in raw}
            for name, value in HEADERS:
                if name.encode() not in present:
                    raw.append((name.encode(), value.encode()))
            if b"cache-control" not in present:
                raw.append((b"cache-control", b"no-store"))
            session: Session = scope["state"]["session"]
            if new_session is not None or scope["state"].get("renewed"):
                cookie = (
                    f"{COOKIE}={session.token}; Path=/; HttpOnly; SameSite=Strict; "
                    f"Max-Age={SESSION_IDLE_S}"
                )
                raw.append((b"set-cookie", cookie.encode()))
            message["headers"] = raw
        await send(message)

    return sending


async def _csrf_checked(receive: Receive, headers: Headers, scope: Scope) -> tuple[Receive, bool]:
    """Whether the request carries the session's CSRF token: the header, else the `csrf`
    field of a url-encoded form (read here, then handed on to the page unchanged)."""
    session: Session = scope["state"]["session"]
    token = headers.get(CSRF_HEADER)
    if token is not None:
        return receive, hmac.compare_digest(token, session.csrf)
    if headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        return receive, False
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return receive, False
        body += message.get("body", b"")
        more = bool(message.get("more_body", False))
        if len(body) > MAX_FORM_BYTES:
            return receive, False
    fields = urllib.parse.parse_qs(body.decode("latin-1"), keep_blank_values=True)
    given = fields.get(CSRF_FIELD, [""])[0]
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay, bool(given) and hmac.compare_digest(given, session.csrf)

"""Signing in, when the studio listens on more than loopback (security.py says why)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from audio_pipeline.studio.pages import form_of, page, redirect, session_of, text_field
from audio_pipeline.studio.security import LoginLimiter, Sessions, password_matches


async def login_form(request: Request) -> Response:
    if request.app.state.password is None or session_of(request).signed_in:
        return redirect(request, "/messages")
    return page(request, "studio/page_login.j2", title="Sign in", failed=False)


async def login(request: Request) -> Response:
    expected: str | None = request.app.state.password
    if expected is None:
        return redirect(request, "/messages")
    limiter: LoginLimiter = request.app.state.limiter
    client = request.client.host if request.client is not None else "unknown"
    wait = limiter.retry_after(client)
    if wait:
        return PlainTextResponse(
            f"too many failed sign-ins; try again in {wait} s",
            status_code=429,
            headers={"retry-after": str(wait)},
        )
    form = await form_of(request)
    if not password_matches(text_field(form, "password", 1000), expected):
        limiter.failed(client)
        return page(request, "studio/page_login.j2", 401, title="Sign in", failed=True)
    limiter.succeeded(client)
    sessions: Sessions = request.app.state.sessions
    session = sessions.renew(session_of(request))
    session.signed_in = True
    request.state.session = session
    request.state.renewed = True
    return redirect(request, "/messages")


async def logout(request: Request) -> Response:
    sessions: Sessions = request.app.state.sessions
    session = sessions.renew(session_of(request))
    request.state.session = session
    request.state.renewed = True
    return redirect(request, "/login" if request.app.state.password else "/messages")


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]

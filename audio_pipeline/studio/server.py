"""The studio's web application: the app factory, its security policy, and serving it.

Starlette under uvicorn: an ASGI framework small enough to read, well kept, with what the
studio needs and nothing it does not (routing, forms, files with byte ranges for the audio
players, streaming for the render's server-sent events); Jinja2 renders the pages. The
studio works on the project folder the CLI works on, through the same library functions.
"""

from __future__ import annotations

import logging
import os
import webbrowser
from dataclasses import dataclass
from importlib import resources

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.core.errors import UsageError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.audiofiles import AudioStore
from audio_pipeline.studio import episodes, ledger, messages
from audio_pipeline.studio.auth import ROUTES as AUTH_ROUTES
from audio_pipeline.studio.pages import failure
from audio_pipeline.studio.renders import Renders
from audio_pipeline.studio.security import (
    ENV_HOSTS,
    ENV_PASSWORD,
    LOOPBACK_NAMES,
    Guard,
    LoginLimiter,
    Policy,
    Sessions,
    is_loopback,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


@dataclass(frozen=True)
class Bind:
    host: str
    port: int
    password: str | None  # required unless the host is loopback


def check_bind(host: str, port: int, environ: dict[str, str] | None = None) -> Bind:
    """Where the studio may listen. Any address but loopback needs a password from
    $AUDIO_PIPELINE_STUDIO_PASSWORD (UsageError, exit 2, when it is missing or short)."""
    env = os.environ if environ is None else environ
    password = env.get(ENV_PASSWORD) or None
    if not 1 <= port <= 65535:
        raise UsageError(f"--port: {port} is not a port number (1-65535)")
    if is_loopback(host):
        return Bind(host, port, password)
    if password is None:
        raise UsageError(
            f"--host {host} lets other machines reach the studio; set a password in "
            f"${ENV_PASSWORD} first (or keep the default, 127.0.0.1)"
        )
    if len(password) < 12:
        raise UsageError(f"${ENV_PASSWORD} is too short: use at least 12 characters")
    return Bind(host, port, password)


def hosts_for(bind: Bind, environ: dict[str, str] | None = None) -> frozenset[str]:
    """Host names the studio answers to: loopback, the bound address, and any names in
    $AUDIO_PIPELINE_STUDIO_HOSTS (comma-separated, for a name other machines use)."""
    env = os.environ if environ is None else environ
    extra = {h.strip() for h in env.get(ENV_HOSTS, "").split(",") if h.strip()}
    names = set(LOOPBACK_NAMES) | extra
    if bind.host not in ("0.0.0.0", "::"):
        names.add(bind.host.strip("[]"))
    return frozenset(names)


async def home(request: Request) -> Response:
    return RedirectResponse("/messages", status_code=303)


async def internal_error(request: Request, exc: Exception) -> Response:
    return failure(request, exc)


def create_app(
    project: Project,
    *,
    password: str | None = None,
    hosts: frozenset[str] = LOOPBACK_NAMES,
    settings: RenderSettings | None = None,
) -> Starlette:
    """The studio for one project folder."""
    static = resources.files("audio_pipeline.studio") / "static"
    sessions = Sessions()
    app = Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            *AUTH_ROUTES,
            *messages.ROUTES,
            *episodes.ROUTES,
            *ledger.ROUTES,
            Mount("/static", StaticFiles(directory=str(static)), name="static"),
        ],
        middleware=[Middleware(Guard, policy=Policy(password, hosts), sessions=sessions)],
        exception_handlers={Exception: internal_error},
    )
    app.state.project = project
    app.state.password = password
    app.state.sessions = sessions
    app.state.limiter = LoginLimiter()
    app.state.renders = Renders(settings)
    app.state.audio_store = AudioStore()  # bumpers decoded once while the studio runs
    return app


def serve(project: Project, bind: Bind, *, open_browser: bool = False) -> None:
    """Serve the studio until interrupted. The access log is off: paths name messages, and
    nothing about them goes to a log."""
    import uvicorn

    app = create_app(project, password=bind.password, hosts=hosts_for(bind))
    shown = f"[{bind.host}]" if ":" in bind.host else bind.host
    url = f"http://{shown}:{bind.port}/"
    logging.getLogger("audio_pipeline.studio").info("studio at %s", url)
    if open_browser:
        webbrowser.open(url)
    uvicorn.run(
        app,
        host=bind.host,
        port=bind.port,
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )

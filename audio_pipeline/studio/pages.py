"""How the studio answers: Jinja2 templates (autoescaped: every value from a file or a form
is escaped by default), the failures told by THE one table (app/errors.py), and the few
things every page handler shares."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from audio_pipeline import __version__
from audio_pipeline.app.errors import Told, tell
from audio_pipeline.core.display import clock
from audio_pipeline.core.errors import ExitCode, OutputError, PipelineError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.edit import EditConflict
from audio_pipeline.studio.security import CSRF_FIELD, MAX_FORM_BYTES, Session

log = logging.getLogger("audio_pipeline.studio")

# What a failure answers over HTTP: invalid input 422, a file changed meanwhile (stale edit)
# or a render already running 409, anything else 500.
STATUS = {ExitCode.INVALID_INPUT: 422, ExitCode.FAILED: 500}


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("audio_pipeline.studio", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    return env


def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session


def project_of(request: Request) -> Project:
    project: Project = request.app.state.project
    return project


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session = session_of(request)
    html = (
        environment()
        .get_template(template)
        .render(
            csrf=session.csrf,
            csrf_field=CSRF_FIELD,
            notice=session.take_notice() if template.startswith("studio/page") else "",
            reviewer=session.reviewer,
            signed_in=session.signed_in,
            needs_password=request.app.state.password is not None,
            path=request.url.path,
            version=__version__,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)


def fragment(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A part of a page, for htmx to swap in."""
    html = environment().get_template(template).render(csrf=session_of(request).csrf, **context)
    return HTMLResponse(html, status_code=status_code)


def told_status(told: Told, exc: BaseException) -> int:
    if isinstance(exc, EditConflict):
        return 409
    if isinstance(exc, OutputError) and "is being rendered" in told.summary:
        return 409
    return STATUS.get(told.exit_code, 500)


def told_of(exc: BaseException) -> Told:
    """The table's words for a failure; an internal error is logged by its type only (its
    text may hold a message's words, which never go to a log)."""
    if not isinstance(exc, PipelineError):
        log.error("internal error: %s", type(exc).__name__)
    return tell(exc)


def failure(request: Request, exc: BaseException) -> Response:
    """A failure as the fragment htmx shows (or a page of its own without htmx)."""
    told = told_of(exc)
    status = told_status(told, exc)
    if request.headers.get("hx-request"):
        return fragment(request, "studio/told.j2", status, told=told)
    return page(request, "studio/page_error.j2", status, title="Not done", told=told)


def redirect(request: Request, url: str, notice: str = "") -> Response:
    if notice:
        session_of(request).notice = notice
    return RedirectResponse(url, status_code=303)


async def form_of(request: Request) -> FormData:
    """The url-encoded form of a request (the only kind the studio takes)."""
    return await request.form(max_files=0, max_fields=500, max_part_size=MAX_FORM_BYTES)


def text_field(form: FormData, name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A library call (files, synthesis, the ledger) off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)

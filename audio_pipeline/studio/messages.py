"""Messages: the list by status, a message's page (its text, spoken script and checks as you
type, a preview clip, the decisions), and a new message. Every change goes through the
library (app/editing.py, app/approval.py), exactly as the CLI's commands do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from audio_pipeline.app import approval, editing
from audio_pipeline.app.ledger import open_ledger
from audio_pipeline.app.onair import HEARD_DIR, heard_preview
from audio_pipeline.app.preview import preview_message
from audio_pipeline.core.errors import InputError, PipelineError, Problem
from audio_pipeline.core.models import Approval, Message
from audio_pipeline.core.project import Project
from audio_pipeline.engines.registry import ENGINES
from audio_pipeline.inputs.edit import file_sha256
from audio_pipeline.inputs.messages import load_messages
from audio_pipeline.inputs.safety import Gate
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.publish.ledger_records import MessagePlacement
from audio_pipeline.studio.pages import (
    call,
    failure,
    form_of,
    fragment,
    page,
    project_of,
    redirect,
    session_of,
    text_field,
    told_of,
    told_status,
)

# what the list calls each standing, in the order an editor works through them
STANDINGS = {
    "draft": "draft",
    "pending": "pending",
    "changed": "changed after approval",
    "approved": "approved",
    "rejected": "rejected",
}
SYLLABLES_PER_S = 4.0  # the offline voice's pace (README: Engines), for a length at a glance


def standing(message: Message) -> str:
    if message.approval in (Approval.STALE, Approval.UNBOUND):
        return "changed"
    return message.status.value


@dataclass(frozen=True)
class Row:
    message: Message
    standing: str
    characters: int
    about_s: float
    warnings: int
    blocking: int
    aired: int


def _rows(project: Project) -> tuple[list[Row], list[Problem]]:
    index = load_messages(project)
    gate = Gate.load(project, approval.voice_lexicons(project))
    aired: dict[str, int] = {}
    with open_ledger(project) as ledger:
        for message_id in index.messages:
            aired[message_id] = sum(len(p.aired) for p in ledger.message(message_id))
    rows = []
    for message in index.messages.values():
        check = gate.check(message)
        syllables = sum(1 for c in message.text if "\uac00" <= c <= "\ud7a3")
        rows.append(
            Row(
                message,
                standing(message),
                len(message.text),
                syllables / SYLLABLES_PER_S,
                len(gate.warnings([message])),
                len(check.blocking),
                aired.get(message.id, 0),
            )
        )
    order = list(STANDINGS)
    rows.sort(key=lambda r: (order.index(r.standing), r.message.id))
    return rows, index.problems


async def list_messages(request: Request) -> Response:
    project = project_of(request)
    rows, problems = await call(_rows, project)
    query = request.query_params.get("q", "").strip()
    wanted = request.query_params.get("status", "")
    if wanted in STANDINGS:
        rows = [r for r in rows if r.standing == wanted]
    if query:
        folded = query.casefold()
        rows = [
            r
            for r in rows
            if folded in r.message.id
            or folded in (r.message.title or "").casefold()
            or folded in r.message.text.casefold()
        ]
    return page(
        request,
        "studio/page_messages.j2",
        title="Messages",
        rows=rows,
        problems=problems,
        standings=STANDINGS,
        query=query,
        wanted=wanted,
    )


def _message_id(request: Request) -> str:
    return editing.check_id(str(request.path_params["message_id"]))


@dataclass(frozen=True)
class Loaded:
    message: Message | None
    problems: tuple[str, ...]
    sha256: str
    check: editing.DraftCheck | None
    placements: tuple[MessagePlacement, ...]
    voices: tuple[str, ...]  # voices a preview may use


def _load(project: Project, message_id: str) -> Loaded:
    index = load_messages(project)
    path = project.messages_dir / f"{message_id}.yaml"
    shown = project.show(path)
    message = index.messages.get(message_id)
    problems = tuple(str(p) for p in index.problems_of(shown))
    if message is None and not problems:
        raise InputError([Problem(shown, "", f"no message with id '{message_id}'")])
    sha = file_sha256(path) if path.is_file() else ""
    if message is None:
        return Loaded(None, problems, sha, None, (), ())
    check = editing.check_draft(
        project, message_id, title=message.title or "", text=message.text, saved=message
    )
    with open_ledger(project) as ledger:
        placements = tuple(ledger.message(message_id))
    voices, _ = load_voices(project)
    allowed = tuple(
        sorted(
            name
            for name, v in voices.items()
            if message.is_approved or not ENGINES[v.engine].network
        )
    )
    return Loaded(message, problems, sha, check, placements, allowed)


async def show_message(request: Request, status_code: int = 200, **extra: object) -> Response:
    project = project_of(request)
    try:
        message_id = _message_id(request)
        loaded: Loaded = await call(_load, project, message_id)
    except PipelineError as exc:
        return failure(request, exc)
    message = loaded.message
    context: dict[str, object] = {
        "title": (message.title or message.id) if message else message_id,
        "message_id": message_id,
        "loaded": loaded,
        "message": message,
        "standing": STANDINGS[standing(message)] if message else "invalid",
        "editable": message is not None and message.status in editing.EDITABLE,
        "draft_title": message.title or "" if message else "",
        "draft_text": message.text if message else "",
        "told": None,
        "default_voice": project.default_voice,
    }
    context.update(extra)
    return page(request, "studio/page_message.j2", status_code, **context)


async def live_check(request: Request) -> Response:
    """The spoken script and the checks of the text in the form, as the editor types."""
    project = project_of(request)
    form = await form_of(request)
    raw_id = request.path_params.get("message_id") or text_field(form, "id", 64) or "new-message"
    try:
        message_id = editing.check_id(str(raw_id))
    except InputError:
        message_id = "new-message"
    saved = (await call(load_messages, project)).messages.get(message_id)
    check = await call(
        editing.check_draft,
        project,
        message_id,
        title=text_field(form, "title", 500),
        text=text_field(form, "text"),
        saved=saved if "message_id" in request.path_params else None,
    )
    return fragment(request, "studio/live.j2", check=check)


async def save_message(request: Request) -> Response:
    project = project_of(request)
    form = await form_of(request)
    title, text = text_field(form, "title", 500), text_field(form, "text")
    try:
        message_id = _message_id(request)
        decision = await call(
            editing.edit_message,
            project,
            message_id,
            title=title,
            text=text,
            expected_sha256=text_field(form, "sha256", 64),
        )
    except PipelineError as exc:
        # the page again, with the editor's words kept and the one line saying why
        told = told_of(exc)
        return await show_message(
            request, told_status(told, exc), told=told, draft_title=title, draft_text=text
        )
    return redirect(request, f"/messages/{message_id}", f"{decision.file}: {decision.note}")


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


async def decide(request: Request) -> Response:
    """approve, reject, clear a finding, submit a draft: the CLI's own functions."""
    project = project_of(request)
    form = await form_of(request)
    action = str(request.path_params["action"])
    by = text_field(form, "by", 200)
    sha = text_field(form, "sha256", 64)
    try:
        message_id = _message_id(request)
        if action == "approve":
            decision = await call(
                approval.approve_message, project, message_id, by, _now(), expected_sha256=sha
            )
        elif action == "reject":
            reason = text_field(form, "reason", 2000) or None
            decision = await call(
                approval.reject_message,
                project,
                message_id,
                by,
                _now(),
                reason,
                expected_sha256=sha,
            )
        elif action == "clear":
            note = text_field(form, "note", 500) or None
            decision = await call(
                approval.clear_finding,
                project,
                message_id,
                text_field(form, "words", 200),
                by,
                _now(),
                note,
                expected_sha256=sha,
            )
        elif action == "submit":
            decision = await call(editing.submit_message, project, message_id, expected_sha256=sha)
        else:
            return Response("unknown action", status_code=404)
    except PipelineError as exc:
        told = told_of(exc)
        return await show_message(request, told_status(told, exc), told=told)
    if by.strip():
        session_of(request).reviewer = by.strip()[:100]
    return redirect(request, f"/messages/{message_id}", f"{decision.message_id}: {decision.note}")


async def new_message(request: Request) -> Response:
    return page(
        request,
        "studio/page_new.j2",
        title="New message",
        told=None,
        values={"id": "", "title": "", "text": "", "status": "pending"},
    )


async def create_message(request: Request) -> Response:
    project = project_of(request)
    form = await form_of(request)
    values = {
        "id": text_field(form, "id", 64).strip(),
        "title": text_field(form, "title", 500),
        "text": text_field(form, "text"),
        "status": text_field(form, "status", 16) or "pending",
    }
    try:
        decision = await call(
            editing.create_message,
            project,
            values["id"],
            title=values["title"],
            text=values["text"],
            status=values["status"],
        )
    except PipelineError as exc:
        told = told_of(exc)
        return page(
            request,
            "studio/page_new.j2",
            told_status(told, exc),
            title="New message",
            told=told,
            values=values,
        )
    return redirect(
        request, f"/messages/{decision.message_id}", f"{decision.file}: {decision.note}"
    )


async def make_preview(request: Request) -> Response:
    """A preview clip: the library's rules (offline voice for text not approved)."""
    project = project_of(request)
    form = await form_of(request)
    voice = text_field(form, "voice", 64) or None
    try:
        message_id = _message_id(request)
        result = await call(preview_message, project, message_id, voice, allow_pending=True)
        heard = await call(heard_preview, project, result.path, message_id)
    except PipelineError as exc:
        return failure(request, exc)
    return fragment(
        request,
        "studio/preview.j2",
        result=result,
        src=f"/messages/{message_id}/preview.wav?v={file_sha256(result.path)[:16]}",
        heard_src=(
            f"/messages/{message_id}/heard.wav?v={file_sha256(heard[0])[:16]}" if heard else None
        ),
        heard_label=heard[1] if heard else "",
    )


async def preview_audio(request: Request) -> Response:
    """The preview clip, or (heard.wav) the same clip as heard on a noisy AM receiver."""
    project = project_of(request)
    try:
        message_id = _message_id(request)
    except PipelineError as exc:
        return failure(request, exc)
    folder = project.output_dir / "preview"
    if request.url.path.endswith("/heard.wav"):
        folder = folder / HEARD_DIR
    path = _inside(folder, f"{message_id}.wav")
    if path is None:
        return Response("no preview of this message yet", status_code=404)
    return FileResponse(path, media_type="audio/wav")


def _inside(folder: Path, name: str) -> Path | None:
    """folder/name when it is a regular file that really is inside `folder` (no link out)."""
    candidate = folder / name
    try:
        real = candidate.resolve(strict=True)
        base = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(base) or not real.is_file() or candidate.is_symlink():
        return None
    return real


ROUTES = [
    Route("/messages", list_messages, methods=["GET"]),
    Route("/messages", create_message, methods=["POST"]),
    Route("/messages/new", new_message, methods=["GET"]),
    Route("/check", live_check, methods=["POST"]),
    Route("/messages/{message_id}", show_message, methods=["GET"]),
    Route("/messages/{message_id}", save_message, methods=["POST"]),
    Route("/messages/{message_id}/check", live_check, methods=["POST"]),
    Route("/messages/{message_id}/preview", make_preview, methods=["POST"]),
    Route("/messages/{message_id}/preview.wav", preview_audio, methods=["GET"]),
    Route("/messages/{message_id}/heard.wav", preview_audio, methods=["GET"]),
    Route("/messages/{message_id}/{action}", decide, methods=["POST"]),
]

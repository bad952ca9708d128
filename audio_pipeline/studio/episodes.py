"""Episodes: the list; an episode's page to choose and order its messages from the approved
queue, set its voice and casting, see the slot fit, validate, render with live progress, play
the programme from a cue, download the deliverables and record an airing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from audio_pipeline.app import episodes as library
from audio_pipeline.app.episodes import Entry, EpisodeFile, Fit, QueueEntry
from audio_pipeline.app.ledger import open_ledger
from audio_pipeline.core.errors import InputError, PipelineError
from audio_pipeline.core.models import Message
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.audiofiles import AudioStore
from audio_pipeline.inputs.edit import file_sha256
from audio_pipeline.inputs.episodes import EpisodeInputs, load_episode
from audio_pipeline.inputs.fields import ID_PATTERN
from audio_pipeline.inputs.messages import load_messages
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.metadata.manifest import read_manifest
from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.publish.ledger_records import EpisodeRow, parse_datetime
from audio_pipeline.studio.pages import (
    call,
    failure,
    form_of,
    fragment,
    page,
    project_of,
    redirect,
    text_field,
    told_of,
    told_status,
)
from audio_pipeline.studio.renders import Renders, follow

INLINE = {".wav": "audio/wav", ".mp3": "audio/mpeg"}  # played in the page; the rest downloads


def _store(request: Request) -> AudioStore:
    store: AudioStore = request.app.state.audio_store
    return store


def _renders(request: Request) -> Renders:
    renders: Renders = request.app.state.renders
    return renders


async def list_episodes(request: Request) -> Response:
    project = project_of(request)

    def gather() -> tuple[list[EpisodeFile], dict[str, EpisodeRow]]:
        with open_ledger(project) as ledger:
            rows = {r.id: r for r in ledger.episodes()}
        return library.episode_files(project), rows

    files, rows = await call(gather)
    renders = _renders(request)
    running = {f.name for f in files if (j := renders.latest(f.name)) is not None and not j.done}
    return page(
        request,
        "studio/page_episodes.j2",
        title="Episodes",
        files=files,
        rows=rows,
        running=running,
    )


@dataclass(frozen=True)
class Cue:
    index: int
    kind: str
    label: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Output:
    audio: str | None  # the programme file the player plays
    cues: tuple[Cue, ...]
    files: tuple[tuple[str, int], ...]  # (name, bytes) the manifest lists
    duration_s: float


def _output(project: Project, episode_id: str | None) -> Output | None:
    """The episode's published render: its programme, cues and files (from its manifest)."""
    if episode_id is None or not ID_PATTERN.match(episode_id):
        return None
    folder = project.output_dir / episode_id
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    import json

    try:
        cues_doc = json.loads((folder / "cues.json").read_text("utf-8"))
    except (OSError, ValueError):
        cues_doc = {}
    deliverables = cues_doc.get("deliverables") or [{}]
    audio = deliverables[0].get("file") if isinstance(deliverables[0], dict) else None
    cues = tuple(
        Cue(
            int(c.get("index", 0)),
            str(c.get("kind", "")),
            str(c.get("title") or c.get("message_id") or c.get("kind", "")),
            float(c["start_s"]),
            float(c["end_s"]),
        )
        for c in cues_doc.get("cues", [])
        if isinstance(c, dict) and c.get("start_s") is not None and c.get("end_s") is not None
    )
    files = tuple(
        (str(o["file"]), int(o.get("bytes", 0)))
        for o in manifest.get("outputs", [])
        if isinstance(o, dict) and isinstance(o.get("file"), str)
    )
    listed = {name for name, _ in files}
    duration = float((cues_doc.get("programme") or {}).get("duration_s") or 0.0)
    return Output(audio if audio in listed else None, cues, files, duration)


@dataclass(frozen=True)
class Loaded:
    file: EpisodeFile
    sha256: str
    inputs: EpisodeInputs | None
    problems: tuple[str, ...]  # the episode's validation, told by the one table
    queue: tuple[QueueEntry, ...]
    messages: dict[str, Message]
    voices: tuple[str, ...]
    output: Output | None
    aired: tuple[str, ...]


def _load(project: Project, name: str, store: AudioStore) -> Loaded:
    file = library.read_episode_file(project, name)
    inputs: EpisodeInputs | None = None
    problems: tuple[str, ...] = ()
    try:
        inputs = load_episode(file.path, project, store)
    except PipelineError as exc:
        problems = tuple(told_of(exc).lines())
    queue = tuple(library.approved_queue(project, file.id))
    index = load_messages(project)
    voices, _ = load_voices(project)
    aired: tuple[str, ...] = ()
    with open_ledger(project) as ledger:
        for row in ledger.episodes():
            if row.id == file.id:
                aired = row.aired
    return Loaded(
        file,
        file_sha256(file.path),
        inputs,
        problems,
        queue,
        dict(index.messages),
        tuple(sorted(voices)),
        _output(project, file.id),
        aired,
    )


def _proposed(form: FormData, loaded: Loaded) -> tuple[list[Entry], str, str]:
    """The running order in the form (not saved yet), the episode voice, and the operation
    a button asked for (add:<id>, up:<n>, down:<n>, remove:<n>, fit)."""
    ids = [v for v in form.getlist("m") if isinstance(v, str)]
    voices = [v for v in form.getlist("mv") if isinstance(v, str)]
    entries = [Entry(i, (voices[n] if n < len(voices) else "") or None) for n, i in enumerate(ids)]
    voice = text_field(form, "voice", 64) or loaded.file.voice or ""
    return entries, voice, text_field(form, "op", 100)


def _apply(entries: list[Entry], op: str) -> list[Entry]:
    verb, _, arg = op.partition(":")
    out = list(entries)
    if verb == "add" and ID_PATTERN.match(arg) and arg not in {e.message_id for e in out}:
        out.append(Entry(arg))
    elif verb in ("up", "down", "remove") and arg.isdigit() and int(arg) < len(out):
        n = int(arg)
        if verb == "remove":
            out.pop(n)
        elif verb == "up" and n > 0:
            out[n - 1], out[n] = out[n], out[n - 1]
        elif verb == "down" and n + 1 < len(out):
            out[n + 1], out[n] = out[n], out[n + 1]
    return out


def _fit(loaded: Loaded, entries: list[Entry], voice: str, project: Project) -> Fit | None:
    if loaded.inputs is None or loaded.file.selects:
        return None
    known = [e for e in entries if e.message_id in loaded.messages]
    if voice not in loaded.inputs.voices:
        voice = loaded.inputs.voice.name
    return library.slot_fit(loaded.inputs, known, voice, load_messages(project))


def _context(loaded: Loaded, entries: list[Entry], voice: str, fit: Fit | None) -> dict[str, Any]:
    chosen = {e.message_id for e in entries}
    return {
        "loaded": loaded,
        "entries": entries,
        "episode_voice": voice,
        "fit": fit,
        "offer": [q for q in loaded.queue if q.message.id not in chosen],
        "changed": entries != list(loaded.file.entries) or voice != (loaded.file.voice or ""),
    }


async def show_episode(request: Request, status_code: int = 200, **extra: Any) -> Response:
    project = project_of(request)
    name = str(request.path_params["name"])
    try:
        library.episode_path(project, name)
        loaded: Loaded = await call(_load, project, name, _store(request))
    except PipelineError as exc:
        return failure(request, exc)
    entries = list(loaded.file.entries)
    context = _context(loaded, entries, loaded.file.voice or "", None)
    context.update(
        title=loaded.file.title or name,
        name=name,
        job=_renders(request).latest(name),
        told=None,
        now=_next_minute(),
        fit_later=True,
    )
    context.update(extra)
    return page(request, "studio/page_episode.j2", status_code, **context)


def _next_minute() -> str:
    """Now, as the airing form offers it: the next whole minute (an airing is recorded to
    the minute, and one just after a render must not read as before it)."""
    now = dt.datetime.now().astimezone().replace(second=0, microsecond=0)
    return (now + dt.timedelta(minutes=1)).isoformat(timespec="minutes")


async def arrange(request: Request) -> Response:
    """Change the running order in the form (add, move, remove) and show its fit; nothing is
    written until the editor saves."""
    project = project_of(request)
    name = str(request.path_params["name"])
    form = await form_of(request)
    try:
        library.episode_path(project, name)
        loaded: Loaded = await call(_load, project, name, _store(request))
        entries, voice, op = _proposed(form, loaded)
        entries = _apply(entries, op)
        fit = await call(_fit, loaded, entries, voice, project)
    except PipelineError as exc:
        return failure(request, exc)
    context = _context(loaded, entries, voice, fit)
    if request.headers.get("hx-request"):
        return fragment(request, "studio/order.j2", name=name, fit_later=False, **context)
    return await show_episode(request, fit_later=False, **context)


async def save_order(request: Request) -> Response:
    project = project_of(request)
    name = str(request.path_params["name"])
    form = await form_of(request)
    try:
        library.episode_path(project, name)
        loaded: Loaded = await call(_load, project, name, _store(request))
        entries, voice, _ = _proposed(form, loaded)
        note = await call(
            library.set_running_order,
            project,
            name,
            entries,
            voice,
            expected_sha256=text_field(form, "sha256", 64),
        )
    except PipelineError as exc:
        told = told_of(exc)
        return await show_episode(request, told_status(told, exc), told=told)
    return redirect(request, f"/episodes/{name}", f"{loaded.file.path.name}: {note}")


async def validate(request: Request) -> Response:
    project = project_of(request)
    name = str(request.path_params["name"])
    try:
        path = library.episode_path(project, name)
        inputs = await call(load_episode, path, project, _store(request))
    except PipelineError as exc:
        return failure(request, exc)
    return fragment(
        request,
        "studio/valid.j2",
        line=f"ok: {project.show(path)}: {len(inputs.messages) or 'queue'} message(s), "
        f"voice {inputs.voice.name}; it can be rendered",
    )


async def start_render(request: Request) -> Response:
    project = project_of(request)
    name = str(request.path_params["name"])
    try:
        path = library.episode_path(project, name)
        inputs = await call(load_episode, path, project, _store(request))
        _renders(request).start(name, inputs)
    except PipelineError as exc:
        told = told_of(exc)
        return await show_episode(request, told_status(told, exc), told=told)
    return redirect(request, f"/episodes/{name}#render")


async def events(request: Request) -> Response:
    project = project_of(request)
    name = str(request.path_params["name"])
    try:
        library.episode_path(project, name)
    except InputError as exc:
        return failure(request, exc)
    return StreamingResponse(
        follow(_renders(request).latest(name)),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def download(request: Request) -> Response:
    """A file of the episode's render: only a file its manifest lists, from its folder."""
    project = project_of(request)
    name = str(request.path_params["name"])
    wanted = str(request.path_params["file"])
    try:
        file = await call(library.read_episode_file, project, name)
    except PipelineError as exc:
        return failure(request, exc)
    output = await call(_output, project, file.id)
    if output is None or wanted not in {f for f, _ in output.files}:
        return Response("not a file of this episode's render", status_code=404)
    folder = (project.output_dir / str(file.id)).resolve()
    path = (folder / wanted).resolve()
    if not path.is_relative_to(folder) or not path.is_file() or (folder / wanted).is_symlink():
        return Response("not a file of this episode's render", status_code=404)
    suffix = Path(wanted).suffix.lower()
    if suffix in INLINE:
        return FileResponse(path, media_type=INLINE[suffix])
    return FileResponse(path, filename=Path(wanted).name, content_disposition_type="attachment")


async def mark_aired(request: Request) -> Response:
    project = project_of(request)
    name = str(request.path_params["name"])
    form = await form_of(request)
    try:
        file = await call(library.read_episode_file, project, name)
        when = parse_datetime(text_field(form, "at", 40))

        def record() -> str:
            with Ledger(project.ledger_path) as ledger:
                airing = ledger.mark_aired(str(file.id), when)
                placed = ledger.placements(airing.render_id)
            verb = "recorded" if airing.added else "already recorded"
            return (
                f"{verb}: episode {file.id} aired at {when.isoformat()} ({len(placed)} message(s))"
            )

        note = await call(record)
    except PipelineError as exc:
        told = told_of(exc)
        return await show_episode(request, told_status(told, exc), told=told)
    return redirect(request, f"/episodes/{name}", note)


ROUTES = [
    Route("/episodes", list_episodes, methods=["GET"]),
    Route("/episodes/{name}", show_episode, methods=["GET"]),
    Route("/episodes/{name}/arrange", arrange, methods=["POST"]),
    Route("/episodes/{name}/order", save_order, methods=["POST"]),
    Route("/episodes/{name}/validate", validate, methods=["POST"]),
    Route("/episodes/{name}/render", start_render, methods=["POST"]),
    Route("/episodes/{name}/events", events, methods=["GET"]),
    Route("/episodes/{name}/files/{file:path}", download, methods=["GET"]),
    Route("/episodes/{name}/aired", mark_aired, methods=["POST"]),
]

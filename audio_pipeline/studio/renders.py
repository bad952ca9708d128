"""Renders started from the studio: each runs `render_loaded` in a thread the server owns
(not the request's), so it finishes whether or not a browser is watching; its progress is
kept as a list of events that any page can follow from the start (server-sent events).

One render per episode at a time: a second one started from the studio while the first
runs, or while another process renders it (the CLI, the batch), is refused with the one
line of the episode lock (publish/outputdir.py), shown in the page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from audio_pipeline.app.errors import tell
from audio_pipeline.app.render import render_loaded
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.app.summary import Summary, summarize
from audio_pipeline.core.errors import OutputError, PipelineError
from audio_pipeline.core.results import Clip
from audio_pipeline.inputs.episodes import EpisodeInputs
from audio_pipeline.publish.outputdir import episode_busy, episode_lock

log = logging.getLogger("audio_pipeline.studio")
KEEPALIVE_S = 15.0
POLL_S = 0.2


@dataclass
class RenderJob:
    name: str  # the episode file's name
    episode_id: str
    events: list[dict[str, object]] = field(default_factory=list)
    done: bool = False
    ok: bool = False
    summary: Summary | None = None
    lines: tuple[str, ...] = ()  # the failure, told by the one table
    started: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, event: dict[str, object]) -> None:
        with self._lock:
            self.events.append(event)

    def since(self, index: int) -> list[dict[str, object]]:
        with self._lock:
            return self.events[index:]


class EventReporter:
    """The Reporter of app/settings.py, told as events: stages, each clip, warnings."""

    def __init__(self, job: RenderJob) -> None:
        self.job = job
        self.total = 0
        self.done = 0
        self.seen: set[str] = set()

    def stage(self, name: str, total: int | None = None) -> None:
        if name == "synthesizing" and total:
            self.total, self.done = total, 0
        self.job.publish({"kind": "stage", "text": f"{name}…"})

    def clip_done(self, clip: Clip) -> None:
        self.done += 1
        how = "cached" if clip.cached else "synthesized"
        mark = " FALLBACK" if clip.fallback else ""
        total = max(self.total, self.done)
        self.job.publish(
            {
                "kind": "clip",
                "text": f"[{self.done}/{total}] {clip.message_id}: {how} "
                f"({clip.engine}, {clip.voice}){mark}",
                "done": self.done,
                "total": total,
            }
        )

    def warn(self, message: str) -> None:
        if message not in self.seen:  # a warning repeated by many clips is told once
            self.seen.add(message)
            self.job.publish({"kind": "warn", "text": f"warning: {message}"})


class Renders:
    """The studio's renders, one job per episode at a time (the latest kept for its page)."""

    def __init__(self, settings: RenderSettings | None = None) -> None:
        self.settings = settings or RenderSettings()
        self.jobs: dict[str, RenderJob] = {}
        self._lock = threading.Lock()

    def latest(self, name: str) -> RenderJob | None:
        with self._lock:
            return self.jobs.get(name)

    def start(self, name: str, inputs: EpisodeInputs) -> RenderJob:
        """Start rendering validated inputs in a thread of the server. Raises OutputError
        (the lock's one line) when the episode is being rendered already."""
        project, episode_id = inputs.project, inputs.episode.id
        with self._lock:
            running = [j for j in self.jobs.values() if not j.done and j.episode_id == episode_id]
            if running:
                raise OutputError(episode_busy(episode_id, str(os.getpid())))
            # another process (the CLI, the batch) holding the episode's lock: its one line
            with episode_lock(project.output_dir, episode_id):
                pass
            job = RenderJob(name, episode_id)
            self.jobs[name] = job
        # not a daemon: a render started here finishes even when the server is stopped
        thread = threading.Thread(
            target=self._run, args=(job, inputs), name=f"render-{episode_id}", daemon=False
        )
        thread.start()
        return job

    def _run(self, job: RenderJob, inputs: EpisodeInputs) -> None:
        reporter = EventReporter(job)
        try:
            report = render_loaded(inputs, self.settings, reporter)
        except Exception as exc:  # told by the one table, in the page
            if not isinstance(exc, PipelineError):
                log.error("render of %s: internal error: %s", job.episode_id, type(exc).__name__)
            job.lines = tuple(tell(exc).lines())
            job.publish({"kind": "end", "ok": False, "lines": list(job.lines)})
        else:
            job.summary = summarize(report)
            job.ok = True
            shown = inputs.project.show(report.output_dir)
            job.publish(
                {
                    "kind": "end",
                    "ok": True,
                    "lines": [f"written: {shown}/ in {report.elapsed_s:.1f} s"],
                }
            )
        finally:
            job.done = True


def _sse(event: dict[str, object]) -> str:
    # json.dumps escapes newlines: one event, one data line; the page sets it as text only
    return f"event: {event['kind']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"


async def follow(job: RenderJob | None) -> AsyncIterator[str]:
    """A job's events from its first, then each as it comes, until it ends."""
    if job is None:
        yield _sse({"kind": "idle", "text": "no render started from the studio"})
        return
    index, quiet = 0, 0.0
    while True:
        events = job.since(index)
        for event in events:
            yield _sse(event)
        index += len(events)
        if any(e["kind"] == "end" for e in events) or (job.done and not events):
            return
        await asyncio.sleep(POLL_S)
        quiet = 0.0 if events else quiet + POLL_S
        if quiet >= KEEPALIVE_S:
            quiet = 0.0
            yield ": keep-alive\n\n"

"""Renders started from the studio (studio/renders.py): one per episode at a time (the
episode lock's one line when another process holds it), the render finishing in the
server's own thread, and its progress as server-sent events any page can follow."""

from __future__ import annotations

import json
import time
from pathlib import Path

from starlette.testclient import TestClient

from audio_pipeline.core.results import Clip
from audio_pipeline.publish.outputdir import episode_lock
from audio_pipeline.studio.renders import EventReporter, RenderJob


def sse(body: str) -> list[tuple[str, dict[str, object]]]:
    """A text/event-stream body read back: each event's name and its JSON data."""
    events = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_two_renders_of_one_episode_at_once_are_refused(client: TestClient, csrf: str) -> None:
    project = client.app.state.project
    # another process (the CLI, the batch) rendering it: the episode lock's one line
    with episode_lock(project.output_dir, "2026-w47"):
        r = client.post("/episodes/2026-w47/render", data={"csrf": csrf})
    assert r.status_code == 409
    assert "episode &#39;2026-w47&#39; is being rendered by process" in r.text
    assert client.app.state.renders.latest("2026-w47") is None
    # the studio's own render running: a second is refused, shown in the page
    first = client.post("/episodes/2026-w47/render", data={"csrf": csrf}, follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, "/episodes/2026-w47#render")
    second = client.post("/episodes/2026-w47/render", data={"csrf": csrf})
    assert second.status_code == 409
    assert "is being rendered by process" in second.text
    job = client.app.state.renders.latest("2026-w47")
    deadline = time.monotonic() + 120  # a bound on waiting, not a measurement
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.ok, job.lines
    # the render was published: its programme is on disk and the next one may start
    assert (project.output_dir / "2026-w47" / "2026-w47.wav").is_file()
    events = sse(client.get("/episodes/2026-w47/events").text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "stage" and kinds[-1] == "end" and "clip" in kinds
    end = events[-1][1]
    assert end["ok"] is True and str(end["lines"][0]).startswith("written: output/2026-w47/ in ")
    clips = [data for kind, data in events if kind == "clip"]
    assert [c["done"] for c in clips] == list(range(1, len(clips) + 1))


def test_with_no_render_started_the_events_say_so_and_end(client: TestClient) -> None:
    r = client.get("/episodes/2026-w47/events")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert sse(r.text) == [("idle", {"kind": "idle", "text": "no render started from the studio"})]


def clip(message_id: str, cached: bool, fallback: bool = False) -> Clip:
    return Clip(message_id, Path("x.wav"), "k", "espeak", "ko-offline", fallback, cached, "t", 1.0)


def test_progress_is_told_as_events_each_warning_once() -> None:
    job = RenderJob("2026-w47", "2026-w47")
    reporter = EventReporter(job)
    reporter.stage("synthesizing", total=2)
    reporter.clip_done(clip("a", True))
    reporter.clip_done(clip("b", False))
    reporter.clip_done(clip("c", False, fallback=True))  # a queue trying one more
    for _ in range(3):
        reporter.warn("FALLBACK to voice 'ko-offline'")
    reporter.stage("mastering")
    assert [e["text"] for e in job.events] == [
        "synthesizing…",
        "[1/2] a: cached (espeak, ko-offline)",
        "[2/2] b: synthesized (espeak, ko-offline)",
        "[3/3] c: synthesized (espeak, ko-offline) FALLBACK",
        "warning: FALLBACK to voice 'ko-offline'",
        "mastering…",
    ]
    assert job.since(4) == job.events[4:]

"""Running and measuring: real `audio-pipeline render` processes, timed from outside, their
peak memory read from /proc while they run, their stage times from their own progress lines.

A render runs as `python -m audio_pipeline render ...` with the interpreter running the
benchmark, in the workload's project folder, its clip cache named by AUDIO_PIPELINE_CACHE.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

STAGES = ("synthesizing", "normalizing", "mastering", "writing the review page", "publishing")


@dataclass
class Run:
    """One process, measured."""

    seconds: float
    returncode: int
    load: float  # 1-minute load average when it started
    rss_kb: int  # peak resident set of the process itself (VmHWM)
    rss_max_kb: int  # the largest of it and every child it waited for (wait4: ffmpeg, espeak)
    rss_tree_kb: int  # peak of the sum over it and its live children, sampled every 50 ms
    cpu_s: float = 0.0  # user + system seconds of it and the children it waited for (wait4)
    stages: dict[str, float] = field(default_factory=dict)  # stage -> seconds spent in it
    stdout: str = ""
    stderr: str = ""

    def check(self) -> Run:
        if self.returncode != 0:
            tail = "\n".join(self.stderr.splitlines()[-15:])
            raise RuntimeError(f"process failed with exit {self.returncode}:\n{tail}")
        return self


def load_average() -> float:
    return os.getloadavg()[0]


def _status_kb(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for task in tasks:
        with contextlib.suppress(OSError):
            kids += [int(p) for p in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return kids


def _tree_rss_kb(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _status_kb(p, "VmRSS")
        todo += _children(p)
    return total


def run_process(
    cmd: Sequence[str], *, cwd: Path, env: dict[str, str], stage_lines: bool = False
) -> Run:
    """Run `cmd`, time it, sample its memory, and timestamp its stderr lines (stage starts)."""
    load = load_average()
    started = time.monotonic()
    proc = subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    out: list[str] = []
    err: list[tuple[float, str]] = []
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(
            target=lambda: err.extend(
                (time.monotonic(), line)
                for line in iter(proc.stderr.readline, "")  # type: ignore[union-attr]
            ),
            daemon=True,
        ),
    ]
    for t in readers:
        t.start()
    peak = {"hwm": 0, "tree": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak["hwm"] = max(peak["hwm"], _status_kb(proc.pid, "VmHWM"))
            peak["tree"] = max(peak["tree"], _tree_rss_kb(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    ended = time.monotonic()
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    stages: dict[str, float] = {}
    if stage_lines and proc.returncode == 0:
        marks = [(t, line.strip().rstrip("…")) for t, line in err]
        starts = [(t, name) for t, name in marks if name in STAGES]
        for (t0, name), (t1, _) in zip(starts, [*starts[1:], (ended, "")], strict=False):
            stages[name] = stages.get(name, 0.0) + (t1 - t0)
        if starts:
            stages["start-up"] = starts[0][0] - started
    return Run(
        seconds=ended - started,
        returncode=proc.returncode,
        load=load,
        rss_kb=peak["hwm"],
        rss_max_kb=int(usage.ru_maxrss),
        rss_tree_kb=peak["tree"],
        cpu_s=usage.ru_utime + usage.ru_stime,
        stages=stages,
        stdout="".join(out),
        stderr="".join(line for _, line in err),
    )


def render_cmd(project: Path, episode: Path, *options: str) -> list[str]:
    return [
        sys.executable, "-m", "audio_pipeline", "--project", str(project),
        "render", str(episode), *options,
    ]  # fmt: skip


def render(
    episode: Path, project: Path, cache: Path, *options: str, env: dict[str, str] | None = None
) -> Run:
    environment = dict(os.environ if env is None else env)
    environment["AUDIO_PIPELINE_CACHE"] = str(cache)
    environment.pop("AUDIO_PIPELINE_PROJECT", None)
    environment["AUDIO_PIPELINE_LEDGER"] = str(project / "ledger.sqlite")
    cmd = render_cmd(project, episode, *options)
    return run_process(cmd, cwd=project, env=environment, stage_lines=True).check()


CLIPS = re.compile(r"clips: (\d+) \((\d+) synthesized, (\d+) cached\)")


def clips_synthesized(run: Run) -> int:
    found = CLIPS.search(run.stdout)
    if not found:
        raise RuntimeError(f"no clip summary in the render's output:\n{run.stdout[-2000:]}")
    return int(found.group(2))


def programme_seconds(run: Run) -> float:
    found = re.search(r"programme: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", run.stdout)
    if not found:
        return float("nan")
    hours, minutes, seconds = found.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- the machine -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    os_name = platform.platform()
    try:
        release = Path("/etc/os-release").read_text()
        found = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', release, re.MULTILINE)
        if found:
            os_name = f"{found.group(1)}, Linux {platform.release()}"
    except OSError:
        pass
    from audio_pipeline.audio import ffmpeg

    version = subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": os_name,
        "python": platform.python_version(),
        "ffmpeg": " ".join(version[0].split()[:3]) if version else "unknown",
    }

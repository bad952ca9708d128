"""A full disk or a read-only output folder: one clear line, exit 1, the previous output intact.

We run as root, so chmod cannot stop a write. The render test mounts a real, small tmpfs
over the project's output/ inside a private mount namespace (`unshare --mount`, which
leaves every other mount of the machine alone), renders once, then shrinks the tmpfs until
the next render cannot fit (ENOSPC), then remounts it read-only (EROFS). The writers'
own errors are met on /dev/full, a real device whose every write fails with ENOSPC.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.app.render import render_episode
from audio_pipeline.audio import wavfile
from audio_pipeline.core.errors import OutputError
from audio_pipeline.core.project import Project
from audio_pipeline.delivery import master as deliver
from tests.conftest import REPO, make_project
from tests.episodes import add_messages, write_episode

SCENARIO = r"""
import hashlib, json, os, subprocess, sys
from pathlib import Path

root, episode = Path(sys.argv[1]), sys.argv[2]
out = root / "output"
out.mkdir(exist_ok=True)
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(out)], check=True)

def render():
    cmd = [sys.executable, "-m", "audio_pipeline", "render", "--quiet"]
    cmd.append(f"input/episodes/{episode}.yaml")
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)
    return {"code": proc.returncode, "stderr": proc.stderr}

def digests():
    folder = out / episode
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}

def leftovers():
    stale = (".staging", ".work", ".previous")
    return sorted(p.name for p in out.iterdir() if p.name.startswith(stale))

result = {"first": render()}
result["before"] = digests()
# the next render changes the programme (a longer gap), so it must write everything anew
path = root / "input" / "episodes" / f"{episode}.yaml"
path.write_text(path.read_text("utf-8").replace("gap_s: 1.0", "gap_s: 1.7"), "utf-8")
df = ["df", "-k", "--output=used", str(out)]
used = int(subprocess.run(df, capture_output=True, text=True, check=True).stdout.split()[-1])
subprocess.run(["mount", "-o", f"remount,size={used + 1024}k", str(out)], check=True)
result["full"] = render()
result["after_full"] = digests()
result["leftovers_full"] = leftovers()
subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
result["readonly"] = render()
result["after_readonly"] = digests()
print(json.dumps(result))
"""


def can_unshare_mounts() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True
    )
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not can_unshare_mounts(), reason="needs mount namespaces (unshare --mount)")
def test_full_disk_and_read_only_output_leave_the_previous_render_intact(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    ids = add_messages(project, 2, sentences_each=1)
    write_episode(project, "disk", ids)
    env = {
        **os.environ,
        "AUDIO_PIPELINE_CACHE": str(tmp_path / "cache"),  # outside the tmpfs: output only
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            "-c",
            SCENARIO,
            str(project.root),
            "disk",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["first"]["code"] == 0, result["first"]["stderr"]
    # the whole previous render is there to compare against (audio, sidecars, clips, page)
    assert {"disk.wav", "disk.mp3", "cues.json", "review.html", "manifest.json"} <= set(
        result["before"]
    )
    assert {name for name in result["before"] if name.startswith("clips/")} == {
        "clips/msg-00.wav",
        "clips/msg-01.wav",
    }
    out = project.root / "output"

    full = result["full"]
    assert full["code"] == 1
    assert full["stderr"].splitlines() == [
        f"error: cannot write to {out}: the disk is full; the previous output was left untouched"
    ]
    assert result["after_full"] == result["before"]
    assert result["leftovers_full"] == []  # the failed render's staging was removed

    readonly = result["readonly"]
    assert readonly["code"] == 1
    assert readonly["stderr"].splitlines() == [
        f"error: cannot write to {out}: the file system is read-only; "
        "the previous output was left untouched"
    ]
    assert result["after_readonly"] == result["before"]


def test_encoder_on_a_full_device_is_reported_as_the_os_error_it_was() -> None:
    fmt = deliver.OutputFormat("mp3")
    feed = deliver._EncoderFeed(Path("/dev/full"), fmt)
    feed(0, np.zeros(48_000, dtype=np.float32))
    with pytest.raises(OSError) as failure:
        feed.close()
    assert failure.value.errno == 28 and failure.value.filename == "/dev/full"


def test_a_full_disk_while_mastering_is_one_line_not_an_internal_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no mount namespace is allowed, the same path through the render: every
    deliverable written to /dev/full."""
    ids = add_messages(project, 1, sentences_each=0)
    episode = write_episode(project, "devfull", ids)
    real = wavfile.WavWriter.__init__

    def to_dev_full(self: wavfile.WavWriter, path: Path, *args: object, **kw: object) -> None:
        target = Path("/dev/full") if path.suffix == ".wav" and "clips" not in path.parts else path
        real(self, target, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(wavfile.WavWriter, "__init__", to_dev_full)
    with pytest.raises(OutputError) as failure:
        render_episode(project, episode)
    assert str(failure.value) == (
        f"cannot write to {project.output_dir}: the disk is full; "
        "the previous output was left untouched"
    )
    assert [p.name for p in project.output_dir.iterdir()] == [".locks"]

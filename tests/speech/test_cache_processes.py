"""The clip cache shared by separate processes at once: nobody ever reads a corrupt clip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audio_pipeline.speech.cache import ClipCache
from tests.conftest import REPO

WORKER = r"""
import json, sys, time
import numpy as np
from pathlib import Path
from audio_pipeline.audio import wavfile
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.core.digest import sha256_file

root, variant = Path(sys.argv[1]), sys.argv[4]
me, writers, seconds = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[5])
cache = ClipCache(root)
keys = [f"{k:02x}" * 32 for k in range(5)]

def clip(k, writer):
    # "same": every process makes the same clip for a key (espeak); "differ": each its own
    # (a network engine need not answer the same bytes twice)
    freq = 200 + 60 * k + (13 * writer if variant == "differ" else 0)
    t = np.arange(9600) / 48000
    return (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32)

rng = np.random.default_rng(me)
reads = writes = 0
bad = []
end = time.monotonic() + seconds
while time.monotonic() < end:
    k = int(rng.integers(len(keys)))
    hit = cache.get(keys[k])
    if hit is None or rng.random() < 0.35:
        cache.put(keys[k], clip(k, me), 48000, {"writer": me})
        writes += 1
        continue
    path, meta = hit
    data, rate = wavfile.read(path)  # read back later, as a render does
    reads += 1
    if sha256_file(path) != meta["sha256"] or len(data) != meta["frames"] or rate != 48000:
        bad.append(f"{path.name}: does not match its record")
    elif not any(np.array_equal(data, clip(k, w)) for w in range(writers)):
        bad.append(f"{path.name}: samples nobody wrote")
print(json.dumps({"reads": reads, "writes": writes, "bad": bad[:5]}))
"""


@pytest.mark.parametrize("variant", ["same", "differ"])
def test_processes_putting_and_getting_the_same_keys_never_read_a_corrupt_clip(
    tmp_path: Path, variant: str
) -> None:
    writers = 4
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path), str(n), str(writers), variant, "2.5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for n in range(writers)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert [r["bad"] for r in results] == [[]] * writers
    assert sum(r["reads"] for r in results) > 20 and sum(r["writes"] for r in results) > 20
    # what is left is whole: every committed entry verifies, nothing half-written
    cache = ClipCache(tmp_path)
    for record in tmp_path.rglob("*.json"):
        assert cache.get(record.stem) is not None, record.name
    assert not list(tmp_path.rglob("*.tmp"))
    assert cache.stats().entries == 5

"""The espeak-ng zygote (espeak_worker.py), spoken to over its pipes as the engine does: one
JSON line in; a JSON head and that many float32 samples out, or one error line. Each
sentence is spoken by a fresh child of a zygote that never spoke, so what it says does not
depend on what it said before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

MODULE = "audio_pipeline.engines.espeak_worker"


class Worker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=os.environ.copy(),
        )

    def ask(self, request: dict[str, Any] | bytes) -> tuple[dict[str, Any], np.ndarray]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        line = request if isinstance(request, bytes) else json.dumps(request).encode() + b"\n"
        self.proc.stdin.write(line)
        self.proc.stdin.flush()
        head = json.loads(self.proc.stdout.readline())
        if not head.get("ok"):
            return head, np.zeros(0, dtype=np.float32)
        raw = self.proc.stdout.read(4 * head["frames"])
        assert len(raw) == 4 * head["frames"]
        return head, np.frombuffer(raw, dtype="<f4")


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    process = Worker()
    yield process
    assert process.proc.stdin is not None
    process.proc.stdin.close()
    process.proc.wait(timeout=10)


SENTENCE = {"text": "당신은 혼자가 아닙니다.", "voice": "ko", "rate": 150, "pitch": 50}


def test_a_sentence_comes_back_as_its_samples_at_the_librarys_rate(worker: Worker) -> None:
    head, samples = worker.ask(SENTENCE)
    assert head == {"ok": True, "rate": 22_050, "frames": len(samples)}
    assert 0.8 < len(samples) / 22_050 < 4.0  # nine syllables at 150 words a minute
    assert 0.05 < float(np.max(np.abs(samples))) <= 1.0


def test_every_sentence_starts_from_the_same_state(worker: Worker) -> None:
    _, first = worker.ask(SENTENCE)
    worker.ask({**SENTENCE, "text": "오늘도 힘을 내십시오.", "pitch": 80, "range": 100})
    _, again = worker.ask(SENTENCE)
    assert np.array_equal(first, again)


def test_the_pitch_range_is_passed_through(worker: Worker) -> None:
    _, normal = worker.ask(SENTENCE)  # no range: espeak's normal 50
    _, fifty = worker.ask({**SENTENCE, "range": 50})
    _, flat = worker.ask({**SENTENCE, "range": 0})
    assert np.array_equal(normal, fifty) and not np.array_equal(normal, flat)


@pytest.mark.parametrize(
    ("request_line", "error"),
    [
        (
            json.dumps({**SENTENCE, "voice": "zz-nope"}).encode() + b"\n",
            "espeak-ng has no voice 'zz-nope'",
        ),
        (json.dumps({"text": "안녕."}).encode() + b"\n", "'voice'"),
        (b"this is not json\n", "Expecting value: line 1 column 1 (char 0)"),
    ],
)
def test_a_bad_request_is_one_error_line_and_the_worker_serves_on(
    worker: Worker, request_line: bytes, error: str
) -> None:
    head, _ = worker.ask(request_line)
    assert head == {"ok": False, "error": error}
    head, samples = worker.ask(SENTENCE)
    assert head["ok"] and len(samples) > 0


def test_the_worker_ends_when_its_input_closes() -> None:
    process = Worker()
    assert process.proc.stdin is not None
    process.proc.stdin.close()
    assert process.proc.wait(timeout=10) == 0

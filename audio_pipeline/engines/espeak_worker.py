"""The espeak-ng zygote: a small worker process that loads libespeak-ng once, never speaks,
and forks a child for every sentence, so each sentence starts from the same library state.

Run as `python -m audio_pipeline.engines.espeak_worker`; spoken to over stdin/stdout:
request  = one JSON line {"text", "voice", "rate", "pitch", "range"}
response = one JSON line {"ok": true, "rate": <Hz>, "frames": n} then n float32 samples,
           or {"ok": false, "error": "..."}.
The zygote is single-threaded, which is what makes fork() safe here. It exits when its
stdin closes (the parent finished, or was killed).
"""

from __future__ import annotations

import json
import os
import sys


def _serve() -> None:
    # imported here so the module stays cheap to import for the parent side
    from audio_pipeline.engines.espeak_engine import _LOCK, _load

    with _LOCK:
        _load()  # dlopen + espeak_Initialize in the zygote: children inherit it, unspoken
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    while True:
        line = stdin.readline()
        if not line:
            return
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: speak once, hand the result back, exit without cleanup
            os.close(read_fd)
            try:
                request = json.loads(line)
                with _LOCK:
                    lib = _load()
                    samples = lib.speak(
                        request["text"],
                        request["voice"],
                        int(request["rate"]),
                        int(request["pitch"]),
                        int(request.get("range", 50)),
                    )
                head = {"ok": True, "rate": lib.sample_rate, "frames": int(samples.size)}
                payload = json.dumps(head).encode() + b"\n" + samples.astype("<f4").tobytes()
            except Exception as exc:
                payload = json.dumps({"ok": False, "error": str(exc)}).encode() + b"\n"
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
            os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as result:
            payload = result.read()
        _, status = os.waitpid(pid, 0)
        if not payload:
            reason = f"espeak-ng child process ended without an answer (status {status})"
            payload = json.dumps({"ok": False, "error": reason}).encode() + b"\n"
        stdout.write(payload)
        stdout.flush()


if __name__ == "__main__":
    _serve()

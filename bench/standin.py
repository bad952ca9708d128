"""The TTS stand-in the cold runs reach: the test suite's HTTPS stand-in for Google
(tests/faultserver.py), fault-free, with a fixed service time per request.

The real gTTS reaches it through HTTPS_PROXY, as in the fault tests, so a cold render here
runs every line of the network path a real render runs, and each request is counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from tests.faultserver import FaultSchedule, FaultServer

from .workload import STANDIN_SECONDS_PER_LETTER


@contextmanager
def standin(latency_s: float, lifetime_s: float = 6 * 3600.0) -> Iterator[FaultServer]:
    server = FaultServer(
        FaultSchedule(0.0),
        max_connections=10**7,
        lifetime_s=lifetime_s,
        latency_s=latency_s,
        seconds_per_letter=STANDIN_SECONDS_PER_LETTER,  # the offline voice's pace
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def proxy_env(server: FaultServer, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process that should reach the stand-in instead of Google."""
    env = dict(os.environ if base is None else base)
    for name in ("NO_PROXY", "no_proxy"):
        env.pop(name, None)
    env["HTTPS_PROXY"] = env["https_proxy"] = server.proxy_url
    return env


def requests_in_window(times: list[float], seconds: float) -> int:
    """The most requests that started within any window of `seconds`."""
    ordered = sorted(times)
    best = lo = 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best

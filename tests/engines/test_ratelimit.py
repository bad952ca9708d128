"""The requests-per-minute cap (ratelimit.py): a token bucket shared by every worker."""

from __future__ import annotations

import threading
import time

import pytest

from audio_pipeline.engines.ratelimit import RateLimiter
from tests.fakes import Clock


def limiter(per_minute: float, burst: int = 1) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    return RateLimiter(per_minute, burst, clock=clock, sleep=clock.sleep), clock


def test_rate_limiter_spaces_requests() -> None:
    cap, clock = limiter(60)
    for _ in range(4):
        cap.acquire()
    assert clock.now == pytest.approx(3.0)  # 60 a minute: one a second after the first


def test_each_caller_is_told_how_long_it_waited() -> None:
    cap, clock = limiter(120)  # one every 0.5 s
    assert cap.acquire() == 0.0
    assert cap.acquire() == pytest.approx(0.5)
    clock.now += 0.2  # the caller did something else for 0.2 s meanwhile
    assert cap.acquire() == pytest.approx(0.3)


def test_a_burst_goes_at_once_then_the_rate_holds() -> None:
    cap, clock = limiter(60, burst=3)
    assert [cap.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert cap.acquire() == pytest.approx(1.0)
    assert clock.now == pytest.approx(1.0)


def test_an_idle_bucket_fills_to_its_burst_and_no_further() -> None:
    cap, clock = limiter(60, burst=2)
    cap.acquire()
    cap.acquire()
    clock.now += 600.0  # ten idle minutes do not bank 600 requests
    assert [cap.acquire() for _ in range(2)] == [0.0, 0.0]
    assert cap.acquire() == pytest.approx(1.0)


@pytest.mark.parametrize("per_minute", [0, -5])
def test_no_cap_never_waits(per_minute: float) -> None:
    cap, clock = limiter(per_minute)
    assert [cap.acquire() for _ in range(100)] == [0.0] * 100
    assert clock.sleeps == []


def test_a_burst_below_one_is_one() -> None:
    cap, _ = limiter(60, burst=0)
    assert cap.acquire() == 0.0 and cap.acquire() == pytest.approx(1.0)


def test_the_cap_holds_across_threads_in_real_time() -> None:
    """1200 a minute is one every 50 ms: twelve requests from four threads take at least
    eleven intervals, whoever asks."""
    created = time.monotonic()
    cap = RateLimiter(1200)
    times: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(3):
            cap.acquire()
            with lock:
                times.append(time.monotonic())

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(times) == 12
    # the bucket holds one token when made: the other eleven come 50 ms apart, at the earliest
    assert max(times) - created >= 11 * 0.05 - 0.005

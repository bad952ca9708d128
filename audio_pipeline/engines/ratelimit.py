"""A thread-safe requests-per-minute cap shared by every worker of a network engine."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token bucket: at most `per_minute` requests in any minute, bursts up to `burst`.

    `acquire()` blocks until a request may start. With per_minute <= 0 there is no cap.
    """

    def __init__(
        self,
        per_minute: float,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.capacity = max(1, burst)
        self._tokens = float(self.capacity)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token; returns how long the caller waited (seconds)."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return waited
                delay = (1.0 - self._tokens) / rate
            self._sleep(delay)
            waited += delay

"""The client side of the portal's request limit: a leaky bucket per portal per process (reference §2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# --------------------------------------------------------------------------- limits


class LeakyBucket:
    """Client side of the portal's limit: each request adds 1, the level drains ``rate`` per second, and a
    request waits while the level would exceed ``burst``. One bucket per portal per process."""

    def __init__(self, rate: float = 2.0, burst: float = 40.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.level = 0.0
        self.t = clock()
        self._lock = asyncio.Lock()

    def _drain(self) -> None:
        now = self.clock()
        self.level = max(0.0, self.level - self.rate * (now - self.t))
        self.t = now

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                self._drain()
                if self.level + 1 <= self.burst:
                    self.level += 1
                    return
                await asyncio.sleep((self.level + 1 - self.burst) / self.rate)

    def fill(self) -> None:
        """After a 503 the portal's bucket is full: assume ours is too."""
        self._drain()
        self.level = self.burst


_BUCKETS: dict[str, LeakyBucket] = {}


def bucket_for(portal: str, rate: float, burst: float) -> LeakyBucket:
    key = f"{portal}|{rate}|{burst}"
    bucket = _BUCKETS.get(key)
    if bucket is None or bucket._lock._get_loop() is not asyncio.get_running_loop():  # type: ignore[attr-defined]
        bucket = _BUCKETS[key] = LeakyBucket(rate, burst)
    return bucket

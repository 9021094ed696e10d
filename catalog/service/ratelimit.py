"""Token buckets that turn floods into 429 answers with a Retry-After."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from catalog.service.responses import Refused


class TokenBuckets:
    """One bucket per key (worker or client address): ``rate`` tokens/s, at most ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds until one is available."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._remember(key, (tokens - 1.0, now))
                return 0.0
            self._remember(key, (tokens, now))
            return (1.0 - tokens) / self.rate

    def _remember(self, key: str, value: tuple[float, float]) -> None:
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            # Too many distinct keys (a flood of addresses): start afresh. Buckets start
            # full, so forgetting them can only forgive, never refuse wrongly.
            self._buckets.clear()
        self._buckets[key] = value

    def check(self, key: str, what: str) -> None:
        """Refuse with 429 and Retry-After when ``key`` is over its rate."""
        wait = self.take(key)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise Refused(
                429,
                f"too many requests from {what}; retry in {retry} s",
                code="rate_limited",
                headers={"Retry-After": str(retry)},
            )

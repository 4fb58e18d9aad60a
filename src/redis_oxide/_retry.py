"""The retry policy: how often and how patiently redis-oxide tries again.

One frozen value object shared by the connection strategies (reconnecting) and the client
(re-running read-only commands after a lost connection). Nothing here does I/O; the delay
computation is a pure function of the attempt number and a random source.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Retry"]


@dataclass(frozen=True, slots=True)
class Retry:
    """How many times to try and how long to wait in between.

    Delays grow exponentially from ``backoff_base`` and are capped at ``backoff_cap``; with
    ``jitter`` each delay is drawn uniformly from ``[delay / 2, delay]`` ("equal jitter") so
    that many clients losing the same server do not reconnect in lockstep.

    Attributes:
        attempts: Total tries, counting the first one. 1 disables retrying.
        backoff_base: Delay before the second try, in seconds.
        backoff_cap: Largest delay between two tries, in seconds.
        jitter: Whether to randomise each delay.
    """

    # Three tries cover a server restart or a failover blip without hiding a real outage;
    # redis-py retries 3 times by default, lettuce retries until its command timeout.
    attempts: int = 3
    # 50 ms first delay, doubling to at most 1 s: a restarted local server is reached again
    # well within a second. redis-py's ExponentialBackoff uses base 8 ms and cap 512 ms.
    backoff_base: float = 0.05
    backoff_cap: float = 1.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"Retry.attempts must be >= 1, got {self.attempts}")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("Retry backoff values must be >= 0")

    def delay(self, failures: int) -> float:
        """Return how long to wait after ``failures`` consecutive failed tries.

        Args:
            failures: Failed tries so far (1 after the first failure).

        Returns:
            The delay in seconds; 0 when ``failures`` is 0.
        """
        if failures <= 0:
            return 0.0
        delay = min(self.backoff_cap, self.backoff_base * (1 << min(failures - 1, 30)))
        if self.jitter:
            delay = random.uniform(delay / 2, delay)
        return delay

"""Cancel a share of running units at several points and count what each came to."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass


@dataclass
class Tally:
    """Units that returned True (their replies matched), False (a mismatch) or were cancelled."""

    completed: int = 0
    mismatched: int = 0
    cancelled: int = 0


async def cancel_some(
    units: Sequence[Awaitable[bool]], rng: random.Random, share: int, turns: int, tally: Tally
) -> None:
    """Run ``units``; cancel one in ``share`` of them, spread over ``turns`` loop turns.

    The first victims are cancelled before their first step, the later ones after a write
    or while their replies come back. Any outcome but True, False or a cancellation fails.
    """
    tasks = [asyncio.ensure_future(unit) for unit in units]
    victims = rng.sample(tasks, k=len(tasks) // share)
    for turn in range(turns):
        for task in victims[turn::turns]:
            task.cancel()
        await asyncio.sleep(0)
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if result is True:
            tally.completed += 1
        elif result is False:
            tally.mismatched += 1
        elif isinstance(result, asyncio.CancelledError):
            tally.cancelled += 1
        else:
            raise AssertionError(f"unexpected outcome {result!r}")

"""How many requests the server is given at once.

A server that publishes its parallelism (llama.cpp's ``/props`` ``total_slots``, Text Generation
Inference's ``/info`` ``max_concurrent_requests``) is never given more than that. One that
publishes nothing is given ``--llm-concurrency`` and watched: a request that times out while
others were held with it most likely waited in the server's queue, not on the model, so

- the limit halves (once per round: the requests of one round that time out together halve it
  once) and the request is tried again, without spending one of its retries;
- the abandoned request is counted as still held for one timeout more, since a server that
  queues does not notice a client that left and answers it all the same;
- once as many requests as the limit have succeeded in a row, it rises by one again, up to
  ``--llm-concurrency``.

A request that times out alone, with nothing abandoned still counted, timed out on the model:
that is a real timeout, retried and counted like any other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Ticket:
    """One request's place: the round it was sent in and whether it had company."""

    epoch: int
    crowded: bool


class Pacer:
    """Gates requests to at most ``limit`` held at once (ghosts of abandoned ones included)."""

    def __init__(self, ceiling: int, adaptive: bool, hold: float, clock: Callable[[], float] = time.monotonic):
        self.ceiling = max(ceiling, 1)
        self.limit = self.ceiling
        self.adaptive = adaptive
        self.hold = hold  # seconds an abandoned request is still counted as held
        self.max_held = 0  # the most requests held at once (ghosts included): for tests and benchmarks
        self.halvings = 0
        self._clock = clock
        self._held = 0
        self._ghosts: list[float] = []  # when each abandoned request stops being counted
        self._epoch = 0
        self._streak = 0
        self._changed: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _condition(self) -> asyncio.Condition:
        # One per event loop: a pacer outlives the asyncio.run of one batch, its limit with it.
        loop = asyncio.get_running_loop()
        if self._changed is None or self._loop is not loop:
            self._changed, self._loop, self._held = asyncio.Condition(), loop, 0
        return self._changed

    def _live_ghosts(self) -> int:
        now = self._clock()
        self._ghosts = [t for t in self._ghosts if t > now]
        return len(self._ghosts)

    async def acquire(self) -> Ticket:
        changed = self._condition()
        async with changed:
            while self._held + self._live_ghosts() >= self.limit:
                wait = min(self._ghosts) - self._clock() if self._ghosts else None
                try:
                    await asyncio.wait_for(changed.wait(), timeout=wait)
                except TimeoutError:
                    pass  # a ghost expired: look again
            crowded = self._held > 0 or bool(self._ghosts)
            self._held += 1
            self.max_held = max(self.max_held, self._held + len(self._ghosts))
            return Ticket(epoch=self._epoch, crowded=crowded)

    async def release(self, ticket: Ticket, outcome: str) -> None:
        """``outcome``: "ok", "timeout" (the request was abandoned) or anything else."""
        changed = self._condition()
        async with changed:
            self._held -= 1
            if outcome == "timeout":
                self._ghosts.append(self._clock() + self.hold)
                self._streak = 0
                if self.adaptive and ticket.epoch == self._epoch and self.limit > 1:
                    self.limit = max(self.limit // 2, 1)
                    self._epoch += 1
                    self.halvings += 1
            elif outcome == "ok" and self.adaptive:
                self._streak += 1
                if self._streak >= self.limit and self.limit < self.ceiling:
                    self.limit += 1
                    self._streak = 0
            changed.notify_all()

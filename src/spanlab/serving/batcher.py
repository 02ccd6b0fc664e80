"""Micro-batching: requests arriving within a few milliseconds share one model call.

    batcher = MicroBatcher(model.predict, max_wait_ms=5)
    await batcher.start()
    entities = await batcher.submit(texts, labels, threshold, flat)

A single consumer task takes the first waiting request, gathers more for up to `max_wait_ms`
(or until `max_texts` texts), groups them by (labels, threshold, flat) — one predict call
needs one label set — and runs each group's predict call in a worker thread, so the event
loop keeps accepting requests meanwhile. Model calls never overlap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Predict = Callable[..., list[list[dict[str, Any]]]]


@dataclass
class _Job:
    texts: list[str]
    labels: tuple[str, ...]
    threshold: float | None
    flat: bool
    future: asyncio.Future = field(repr=False)

    @property
    def key(self) -> tuple:
        return self.labels, self.threshold, self.flat


class MicroBatcher:
    def __init__(self, predict: Predict, max_wait_ms: float = 5.0, max_texts: int = 64, batch_size: int = 16):
        self.predict = predict
        self.max_wait = max_wait_ms / 1000
        self.max_texts = max_texts
        self.batch_size = batch_size
        self.requests = 0
        self.batches = 0
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def submit(self, texts: list[str], labels: list[str], threshold: float | None, flat: bool):
        """Entities per text, once the batch holding this request has run."""
        if self._queue is None:
            raise RuntimeError("MicroBatcher.start() was not awaited")
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(list(texts), tuple(labels), threshold, flat, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            deadline = loop.time() + self.max_wait
            while sum(len(j.texts) for j in jobs) < self.max_texts:
                try:
                    jobs.append(await asyncio.wait_for(self._queue.get(), max(deadline - loop.time(), 0)))
                except TimeoutError:
                    break
            groups: dict[tuple, list[_Job]] = {}
            for job in jobs:
                groups.setdefault(job.key, []).append(job)
            for group in groups.values():
                await self._answer(group)

    async def _answer(self, group: list[_Job]) -> None:
        """One predict call for a group sharing labels, threshold and mode; results split back per job."""
        first = group[0]
        texts = [t for job in group for t in job.texts]
        try:
            found = await asyncio.to_thread(
                self.predict, texts, list(first.labels), first.threshold, first.flat, batch_size=self.batch_size
            )
        except Exception as e:  # a model failure answers every request of the batch, never kills the loop
            for job in group:
                if not job.future.done():
                    job.future.set_exception(e)
            return
        self.batches += 1
        start = 0
        for job in group:
            self.requests += 1
            if not job.future.done():  # the client may have gone away
                job.future.set_result(found[start : start + len(job.texts)])
            start += len(job.texts)

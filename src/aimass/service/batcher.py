"""Dynamic micro-batching: concurrent requests share one ``respond_many`` call.

Requests wait at most ``max_wait`` for company (a few milliseconds), up to ``max_size`` per
batch. The model runs in one worker thread, so while it is busy, new requests pile up and
the next batch is larger: throughput grows with load instead of requests queueing one by one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Item:
    text: str
    user_id: str | None
    session_id: str | None
    future: asyncio.Future[Any] = field(repr=False)


def _respond(assistant: Any, batch: list[_Item]) -> list[Any]:
    return list(
        assistant.respond_many(
            [i.text for i in batch],
            user_ids=[i.user_id for i in batch],
            session_ids=[i.session_id for i in batch],
        )
    )


class MicroBatcher:
    def __init__(
        self,
        get_assistant: Callable[[], Any],
        *,
        max_size: int = 32,
        max_wait_s: float = 0.005,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._get = get_assistant
        self.max_size = max_size
        self.max_wait_s = max_wait_s
        self._on_batch = on_batch
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._queue: asyncio.Queue[_Item] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        """One model thread (created again if the app was shut down and started again)."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="aimass-model")
        return self._pool

    def _ensure_worker(self) -> asyncio.Queue[_Item]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            # first use, or a new event loop (a test client restarted): start afresh
            self._loop = loop
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._run(self._queue))
        assert self._queue is not None
        return self._queue

    async def submit(
        self, text: str, *, user_id: str | None = None, session_id: str | None = None
    ) -> Any:
        queue = self._ensure_worker()
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await queue.put(_Item(text, user_id, session_id, fut))
        return await fut

    async def _run(self, queue: asyncio.Queue[_Item]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            deadline = loop.time() + self.max_wait_s
            while len(batch) < self.max_size:
                try:
                    batch.append(queue.get_nowait())
                    continue
                except asyncio.QueueEmpty:
                    pass
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), left))
                except TimeoutError:
                    break
            batch = [b for b in batch if not b.future.done()]  # clients that gave up
            if not batch:
                continue
            assistant = self._get()  # the model at batch time; a reload swaps it for the next
            try:
                results = await loop.run_in_executor(self._executor, _respond, assistant, batch)
            except Exception as e:
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(e)
                continue
            if self._on_batch is not None:
                self._on_batch(len(batch))
            for item, res in zip(batch, results, strict=True):
                if not item.future.done():
                    item.future.set_result(res)

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run another model call (search, intent-only) on the model thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

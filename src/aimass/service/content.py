"""Keeping every server's running model in step with the FAQ/KB content in the database.

An edit through any server is logged as a content event (``Store.content_changes``). Each
server replays the events it has not seen into its own ``Assistant`` (``upsert_faq`` /
``upsert_document`` / ``delete_*``), at start, after a model reload, and at most every
``content_poll_s`` seconds when requests arrive. Applying is idempotent, so a server that
re-applies its own edit or a window of events does no harm.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("aimass.service")
_WINDOW = 50  # re-read this many earlier events: concurrent writers commit out of id order


class ContentSync:
    def __init__(self, store: Any, holder: Any, poll_s: float) -> None:
        self.store = store
        self.holder = holder
        self.poll_s = poll_s
        self.seen = 0
        self._checked = 0.0

    def replay_all(self) -> int:
        """At start and after a reload: apply every logged change to the current model."""
        self.seen, changes = self.store.content_changes(0)
        self._checked = time.monotonic()
        return apply(self.holder.current, changes)

    async def maybe_sync(self, batcher: Any) -> None:
        now = time.monotonic()
        if now - self._checked < self.poll_s:
            return
        self._checked = now
        last, changes = await run_in_threadpool(
            self.store.content_changes, max(0, self.seen - _WINDOW)
        )
        if last <= self.seen:
            return
        self.seen = last
        await batcher.call(apply, self.holder.current, changes)


def apply(assistant: Any, changes: list[tuple[str, str, dict[str, Any] | None]]) -> int:
    """Apply (kind, id, content-or-None) changes; returns how many the runtime took."""
    from aimass.schemas import Faq, KbDocument

    done = 0
    for kind, item_id, data in changes:
        try:
            if kind == "faq":
                if data is None:
                    fn = getattr(assistant, "delete_faq", None)
                    arg: Any = item_id
                else:
                    fn = getattr(assistant, "upsert_faq", None)
                    arg = Faq.model_validate(data)
            else:
                if data is None:
                    fn = getattr(assistant, "delete_document", None)
                    arg = item_id
                else:
                    fn = getattr(assistant, "upsert_document", None)
                    arg = KbDocument.model_validate(data)
            if fn is None:
                continue
            fn(arg)
            done += 1
        except Exception:  # one bad row must not stop the others or the server
            log.exception("could not apply %s %s to the running model", kind, item_id)
    return done

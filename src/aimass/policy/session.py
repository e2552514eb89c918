"""What the policy remembers about a conversation between messages.

Two things need memory: "N low-confidence turns in a row" and profile tags seen earlier in
the session (a customer who was angry two messages ago is still at risk of complaining). The
runtime keeps them in a small in-memory store (bounded, entries expire); the HTTP service can
back ``SessionStore`` with its database so several workers share it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["InMemorySessionStore", "SessionState", "SessionStore"]


@dataclass
class SessionState:
    low_streak: int = 0  # low-confidence turns in a row, up to and including the last one
    tags: set[str] = field(default_factory=set)  # profile tags seen or known in this session


class SessionStore(Protocol):
    def get(self, session_id: str) -> SessionState: ...

    def put(self, session_id: str, state: SessionState) -> None: ...


class InMemorySessionStore:
    """Least-recently-used sessions, at most ``cap``, each forgotten after ``ttl_s`` idle."""

    def __init__(self, cap: int = 10_000, ttl_s: float = 1800.0) -> None:
        self.cap = cap
        self.ttl_s = ttl_s
        self._items: OrderedDict[str, tuple[float, SessionState]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str) -> SessionState:
        now = time.monotonic()
        with self._lock:
            item = self._items.get(session_id)
            if item is None or now - item[0] > self.ttl_s:
                self._items.pop(session_id, None)
                return SessionState()
            state = item[1]
            return SessionState(state.low_streak, set(state.tags))

    def put(self, session_id: str, state: SessionState) -> None:
        now = time.monotonic()
        with self._lock:
            self._items[session_id] = (now, SessionState(state.low_streak, set(state.tags)))
            self._items.move_to_end(session_id)
            while len(self._items) > self.cap:
                self._items.popitem(last=False)

    def remember_tags(self, session_id: str, tags: list[str] | set[str]) -> None:
        """Tags known from elsewhere (the customer's stored profile) for this session."""
        state = self.get(session_id)
        state.tags |= set(tags)
        self.put(session_id, state)

    def __len__(self) -> int:
        return len(self._items)

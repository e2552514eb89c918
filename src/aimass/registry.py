"""Named registries of pluggable parts.

A part is registered under a versioned name (``intent.v1``) whose behaviour never changes:
an artifact that says it holds an ``intent.v1`` head loads the same head in every later
version of AI Mass. A changed behaviour gets a new name (``intent.v2``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from aimass.errors import ArtifactError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = item
            return item

        return deco

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise ArtifactError(
                f"unknown {self.kind} {name!r} (known: {known})",
                code="AM401",
                hint="the artifact was made by a newer AI Mass; upgrade aimass",
            ) from None

    def names(self) -> list[str]:
        return sorted(self._items)

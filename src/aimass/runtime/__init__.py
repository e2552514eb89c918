"""The runtime: text in, typed response out. The CLI, the HTTP service and the UI all use it.

``Assistant.load(artifact)`` then ``assistant.respond("我想退货怎么办")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aimass.runtime.assistant import Assistant

__all__ = ["Assistant"]


def __getattr__(name: str) -> Any:  # keep `import aimass.runtime` light
    if name == "Assistant":
        from aimass.runtime.assistant import Assistant

        return Assistant
    raise AttributeError(name)

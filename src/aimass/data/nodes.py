"""Parsed YAML/JSON values that remember the line they came from.

A problem in user data must name the file and line (STYLE: fail loudly and helpfully). PyYAML
and ``json`` drop positions once a document is constructed, so the loaders in ``yamlsrc`` and
``jsonsrc`` build these subclasses instead: they behave exactly like ``str``/``dict``/``list``
and carry ``line`` (1-based) as an attribute. Numbers, booleans and ``None`` cannot be
subclassed; their line is kept by the container (``key_lines`` / ``item_lines``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LDict", "LList", "LStr", "line_in", "line_of", "to_plain"]


class LStr(str):
    """A string with the line it started on (``style`` is the YAML scalar style, if any)."""

    line: int | None
    style: str | None

    def __new__(cls, value: str, line: int | None = None, style: str | None = None) -> LStr:
        obj = super().__new__(cls, value)
        obj.line = line
        obj.style = style
        return obj


class LDict(dict[Any, Any]):
    """A mapping with its own line and the line of each key."""

    def __init__(self, *args: Any, line: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines: dict[Any, int] = {}


class LList(list[Any]):
    """A sequence with its own line and the line of each item."""

    def __init__(self, *args: Any, line: int | None = None) -> None:
        super().__init__(*args)
        self.line = line
        self.item_lines: list[int | None] = []


def line_of(value: object, default: int | None = None) -> int | None:
    """The line a parsed value started on, or ``default`` when it does not know."""
    line = getattr(value, "line", None)
    return line if isinstance(line, int) else default


def line_in(container: object, key: Any, default: int | None = None) -> int | None:
    """The line of ``container[key]``: the key's line in a mapping, the item's in a list."""
    if isinstance(container, LDict):
        if key in container.key_lines:
            return container.key_lines[key]
        if key in container:
            return line_of(container[key], container.line or default)
        return container.line or default
    if isinstance(container, LList) and isinstance(key, int):
        if 0 <= key < len(container.item_lines):
            found = container.item_lines[key]
            if found is not None:
                return found
        if 0 <= key < len(container):
            return line_of(container[key], container.line or default)
        return container.line or default
    return line_of(container, default)


def to_plain(value: Any) -> Any:
    """The same data as built-in types (for pydantic, which should not see our subclasses)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {to_plain(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def line_at(raw: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest node along ``loc`` (a pydantic error location) that exists."""
    line = getattr(raw, "line", None)
    node = raw
    for part in loc:
        in_dict = isinstance(node, LDict) and part in node
        in_list = isinstance(node, LList) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            break
        line = line_in(node, part, line)
        node = node[part]
    return line

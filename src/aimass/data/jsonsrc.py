"""JSON and JSON Lines that keep line numbers.

``json`` drops positions. Its pure-Python scanner, though, calls overridable hooks for each
object, array and string with the offset where it starts; we wrap those hooks to build
``LDict``/``LList``/``LStr`` with the line. This is slower than the C scanner (a few MB/s),
which is fine for exports of LUIS/CLU/Dialogflow; JSON Lines use the fast path, since a
record's line is simply its line in the file.
"""

from __future__ import annotations

import bisect
import json
import json.scanner
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aimass.data.encoding import read_text
from aimass.data.nodes import LDict, LList, LStr
from aimass.errors import Problem

__all__ = ["iter_jsonl", "load_json", "read_json"]

_JSON_HINT = "check for a missing comma, an unclosed quote or bracket, or a trailing comma"


class _LineDecoder(json.JSONDecoder):
    def __init__(self, text: str) -> None:
        super().__init__()
        newlines = [i for i, ch in enumerate(text) if ch == "\n"]

        def line(pos: int) -> int:
            return bisect.bisect_left(newlines, pos) + 1

        # json's hook attributes are untyped callables (mypy cannot infer them).
        parse_object: Callable[..., Any] = self.parse_object  # type: ignore[has-type]
        parse_array: Callable[..., Any] = self.parse_array  # type: ignore[has-type]
        parse_string: Callable[..., Any] = self.parse_string  # type: ignore[has-type]

        def on_object(s_and_end: tuple[str, int], *args: Any) -> tuple[LDict, int]:
            value, end = parse_object(s_and_end, *args)
            return LDict(value, line=line(s_and_end[1] - 1)), end

        def on_array(s_and_end: tuple[str, int], *args: Any) -> tuple[LList, int]:
            value, end = parse_array(s_and_end, *args)
            result = LList(value, line=line(s_and_end[1] - 1))
            result.item_lines = [getattr(v, "line", None) for v in value]
            return result, end

        def on_string(s: str, idx: int, *args: Any) -> tuple[LStr, int]:
            value, end = parse_string(s, idx, *args)
            return LStr(value, line(idx - 1)), end

        self.parse_object = on_object  # type: ignore[assignment]
        self.parse_array = on_array  # type: ignore[assignment]
        self.parse_string = on_string  # type: ignore[assignment]
        # The C scanner ignores the hooks; the pure-Python one (not in typeshed) calls them.
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


def load_json(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse a JSON document into line-aware values; ``(None, [AM102])`` when it is invalid."""
    try:
        return _LineDecoder(text).decode(text), []
    except json.JSONDecodeError as err:
        return None, [
            Problem(
                "AM102", f"invalid JSON: {err.msg}", file=file, line=err.lineno, hint=_JSON_HINT
            )
        ]
    except RecursionError:
        return None, [Problem("AM102", "invalid JSON: nesting is too deep", file=file)]


def read_json(path: Path, file: str) -> tuple[Any, list[Problem]]:
    text, problems = read_text(path, file)
    if text is None:
        return None, problems
    return load_json(text, file)


def iter_jsonl(text: str, file: str, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for each non-blank line; a bad line is an AM102 and is skipped.

    Objects come back as ``LDict`` with ``line`` set so readers treat them like YAML mappings.
    """
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as err:
            problems.append(
                Problem(
                    "AM102",
                    f"invalid JSON on this line: {err.msg} (column {err.colno})",
                    file=file,
                    line=number,
                    hint="JSON Lines needs one complete JSON object per line",
                )
            )
            continue
        if isinstance(value, dict):
            value = LDict(value, line=number)
        yield number, value

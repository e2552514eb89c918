"""YAML that keeps line numbers, for data files and ``aimass.yaml``.

We compose PyYAML's node tree (which has positions) and build ``LStr``/``LDict``/``LList``
from it ourselves. Two modes:

* ``typed=False`` (data files): every non-null scalar stays the text that was written. YAML 1.1
  would otherwise turn the example ``- no`` into ``False`` and ``- 2024-01-01`` into a date —
  a real trap for a "deny" intent. Readers convert numbers where they expect numbers.
* ``typed=True`` (``aimass.yaml``): scalars resolve as usual (ints, floats, booleans).

Syntax errors and duplicate keys (which PyYAML would silently resolve to the last value) are
AM102 problems with the line; nothing here raises for bad user data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aimass.data.encoding import read_text
from aimass.data.nodes import LDict, LList, LStr
from aimass.errors import Problem

__all__ = ["load_yaml", "read_yaml"]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL_TAG = "tag:yaml.org,2002:null"
_MAX_DEPTH = 200


class _Invalid(Exception):
    def __init__(self, message: str, line: int | None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint


def load_yaml(text: str, file: str, *, typed: bool = False) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; returns ``(value, problems)``, value ``None`` on failure."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        what = err.problem or "invalid YAML"
        if err.context:
            what = f"{err.context}: {what}"
        return None, [
            Problem(
                "AM102",
                f"invalid YAML: {what}",
                file=file,
                line=line,
                hint="check indentation, a missing ':' or an unclosed quote on or just before "
                "this line; quote text that starts with a special character",
            )
        ]
    except yaml.YAMLError as err:
        return None, [Problem("AM102", f"invalid YAML: {err}", file=file)]
    if node is None:
        return None, []
    builder = _Builder(typed)
    try:
        return builder.build(node, 0), []
    except _Invalid as err:
        return None, [Problem("AM102", err.message, file=file, line=err.line, hint=err.hint)]


def read_yaml(path: Path, file: str, *, typed: bool = False) -> tuple[Any, list[Problem]]:
    """Read and parse a YAML file (AM101 for a wrong encoding, AM102 for bad syntax)."""
    text, problems = read_text(path, file)
    if text is None:
        return None, problems
    return load_yaml(text, file, typed=typed)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _Builder:
    def __init__(self, typed: bool) -> None:
        self.typed = typed
        self.constructor = yaml.constructor.SafeConstructor()
        self.active: set[int] = set()

    def build(self, node: Node, depth: int) -> Any:
        if depth > _MAX_DEPTH or id(node) in self.active:
            raise _Invalid("YAML nesting is too deep or an alias refers to itself", _line(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node, depth)
            if isinstance(node, MappingNode):
                return self._mapping(node, depth)
        finally:
            self.active.discard(id(node))
        raise _Invalid(f"unsupported YAML node {node.tag}", _line(node))

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == _NULL_TAG:
            return None
        if not self.typed:
            return LStr(node.value, _line(node), node.style)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as err:
            raise _Invalid(
                f"invalid YAML: {err.problem}",
                _line(node),
                "remove the tag or quote the value",
            ) from err
        if isinstance(value, str):
            return LStr(value, _line(node), node.style)
        return value

    def _sequence(self, node: SequenceNode, depth: int) -> LList:
        result = LList(line=_line(node))
        for item in node.value:
            result.append(self.build(item, depth + 1))
            result.item_lines.append(_line(item))
        return result

    def _mapping(self, node: MappingNode, depth: int) -> LDict:
        try:
            self.constructor.flatten_mapping(node)  # resolves "<<" merge keys
        except yaml.constructor.ConstructorError as err:
            raise _Invalid(f"invalid YAML: {err.problem}", _line(node)) from err
        result = LDict(line=_line(node))
        for key_node, value_node in node.value:
            key = self.build(key_node, depth + 1)
            if isinstance(key, (dict, list)):
                raise _Invalid("a mapping key must be a plain value", _line(key_node))
            if key in result:
                raise _Invalid(
                    f"duplicate key {key!r} (first on line {result.key_lines[key]})",
                    _line(key_node),
                    "YAML keeps only the last value of a repeated key; merge the two",
                )
            result[key] = self.build(value_node, depth + 1)
            result.key_lines[key] = _line(key_node)
        return result

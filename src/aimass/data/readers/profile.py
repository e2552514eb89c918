"""Profile tags and tagged user messages from YAML, CSV (``text,tags``) or JSON Lines.

Tags are declared in a YAML file (``tags: [{name, description}]``, or plain names); CSV and
JSON Lines files carry examples only (``tags`` separated by ``|`` in CSV, a list in JSON).
An example with no tags is a negative example. Tag names may be any non-empty text
(``新客``, ``vip``): they are labels of a multi-label head, not identifiers in URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aimass.data.nodes import line_in
from aimass.data.readers.base import Record, Table, as_text, load_table, top_level
from aimass.data.readers.examples import clean_text
from aimass.errors import Problem
from aimass.schemas.project import ProfileExample, ProfileTag, Source

__all__ = ["read_profile"]

TAG_KEYS = ("name", "description")
EXAMPLE_KEYS = ("text", "tags")


def read_profile(
    path: Path, root: Path
) -> tuple[list[ProfileTag], list[ProfileExample], list[Problem]]:
    table = load_table(path, root)
    problems = list(table.problems)
    if table.is_rows:
        if table.kind == "csv" and table.rows and not {"text", "tags"} <= set(table.header):
            problems.append(
                Problem(
                    "AM103",
                    "the CSV header lacks a required column",
                    file=table.file,
                    line=1,
                    hint="the first row must name the columns: text,tags",
                )
            )
            return [], [], problems
        examples = [
            e for row in table.rows if (e := _example(row, table, problems, True)) is not None
        ]
        return [], examples, problems
    top = top_level(table, ("version", "tags", "examples"), problems)
    if top is None:
        return [], [], problems
    tags = [
        t
        for item, line in _list(top, "tags", table, problems)
        if (t := _tag(item, line, table.file, problems)) is not None
    ]
    examples = []
    for item, line in _list(top, "examples", table, problems):
        if not isinstance(item, Mapping):
            problems.append(
                Problem(
                    "AM103",
                    "a profile example must be a mapping {text, tags}",
                    file=table.file,
                    line=line,
                )
            )
            continue
        example = _example(item, table, problems, False, line)
        if example is not None:
            examples.append(example)
    return tags, examples, problems


def _list(
    top: Mapping[str, Any], key: str, table: Table, problems: list[Problem]
) -> list[tuple[Any, int | None]]:
    raw = top.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(
            Problem("AM103", f"{key!r} must be a list", file=table.file, line=line_in(top, key))
        )
        return []
    return [(item, line_in(raw, i)) for i, item in enumerate(raw)]


def _tag(item: Any, line: int | None, file: str, problems: list[Problem]) -> ProfileTag | None:
    source = Source(file=file, line=line)
    name = as_text(item)
    if name is not None:
        return ProfileTag(name=name.strip(), source=source) if name.strip() else None
    if not isinstance(item, Mapping):
        problems.append(
            Problem("AM103", "a tag must be a name or {name, description}", file=file, line=line)
        )
        return None
    record = Record(item, file=file, what="a tag", problems=problems, line=line)
    record.check_keys(TAG_KEYS, required=("name",))
    name = (record.text("name") or "").strip()
    if not name:
        return None
    return ProfileTag(name=name, description=record.text("description"), source=source)


def _example(
    row: Mapping[str, Any],
    table: Table,
    problems: list[Problem],
    lenient: bool,
    line: int | None = None,
) -> ProfileExample | None:
    record = Record(row, file=table.file, what="a profile example", problems=problems, line=line)
    if not lenient:
        record.check_keys(EXAMPLE_KEYS)
    text, _ = clean_text(record.text("text") or "")
    if not text:
        problems.append(
            Problem("AM113", "a profile example's text is empty", file=table.file, line=record.line)
        )
        return None
    if table.kind == "csv":
        tags = [t.strip() for t in (record.text("tags") or "").split("|")]
    else:
        tags = [t.strip() for t, _ in record.texts("tags")]
    unique = list(dict.fromkeys(t for t in tags if t))
    return ProfileExample(text=text, tags=unique, source=Source(file=table.file, line=record.line))

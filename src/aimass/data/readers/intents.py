"""Intents and their examples from YAML, CSV (``text,intent``) or JSON Lines.

YAML::

    intents:
      - name: return_item
        description: ...
        responses: {zh: ..., en: ...}
        examples: [我想退货, "send it back to [Shenzhen](city)", {text: ..., entities: [...]}]

CSV rows and JSON Lines records (``{"text", "intent"}``; ``label`` is accepted for ``intent``
as in the benchmark sets; JSON Lines may carry ``entities``) are grouped by intent in
first-seen order. The same intent may appear in several files (e.g. one file per language):
``merge_intents`` joins them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aimass.data.nodes import line_in
from aimass.data.readers.base import Record, Table, load_table, top_level
from aimass.data.readers.examples import read_example
from aimass.errors import Problem, Severity
from aimass.schemas.project import Example, Intent, Source

__all__ = ["merge_intents", "read_intents"]

INTENT_KEYS = ("name", "description", "responses", "examples")


def read_intents(path: Path, root: Path) -> tuple[list[Intent], list[Problem]]:
    """Read one intents file; returns the intents (in file order) and every problem found."""
    table = load_table(path, root)
    problems = list(table.problems)
    intents = _from_rows(table, problems) if table.is_rows else _from_tree(table, problems)
    merged, merge_problems = merge_intents(intents)
    return merged, problems + merge_problems


def _from_tree(table: Table, problems: list[Problem]) -> list[Intent]:
    top = top_level(table, ("version", "intents"), problems)
    if top is None:
        return []
    raw = top.get("intents")
    if raw is None:
        return []
    if not isinstance(raw, list):
        Record(top, file=table.file, what="this file", problems=problems).error(
            "'intents' must be a list of intents", "intents"
        )
        return []
    intents: list[Intent] = []
    for index, item in enumerate(raw):
        line = line_in(raw, index)
        if not isinstance(item, Mapping):
            problems.append(
                Problem(
                    "AM103",
                    "each intent must be a mapping with 'name' and 'examples'",
                    file=table.file,
                    line=line,
                )
            )
            continue
        intent = _intent(item, table.file, line, problems)
        if intent is not None:
            intents.append(intent)
    return intents


def _intent(
    item: Mapping[str, object], file: str, line: int | None, problems: list[Problem]
) -> Intent | None:
    record = Record(item, file=file, what="an intent", problems=problems, line=line)
    record.check_keys(INTENT_KEYS)
    name = record.text("name")
    if not name:
        record.error("an intent has no 'name'", hint="add `name: your_intent_name`")
        return None
    examples: list[Example] = []
    for raw, example_line in record.items("examples"):
        example = read_example(
            raw, file=file, line=example_line, problems=problems, what=f"an example of {name!r}"
        )
        if example is not None:
            examples.append(example)
    return Intent(
        name=name.strip(),
        examples=examples,
        description=record.text("description"),
        responses=record.text_map("responses"),
        source=Source(file=file, line=line),
    )


def _from_rows(table: Table, problems: list[Problem]) -> list[Intent]:
    header = set(table.header)
    if (
        table.kind == "csv"
        and table.rows
        and not ("text" in header and header & {"intent", "label"})
    ):
        problems.append(_bad_header(table.file, "text,intent"))
        return []
    by_name: dict[str, Intent] = {}
    for row in table.rows:
        record = Record(row, file=table.file, what="this record", problems=problems)
        name = (record.text("intent" if row.get("intent") is not None else "label") or "").strip()
        if not name:
            record.error("this record has no intent", hint="fill the 'intent' (or 'label') field")
            continue
        # JSON records may carry explicit spans; in CSV every cell is text.
        spans = row.get("entities") if table.kind != "csv" else None
        raw = {"text": row.get("text"), "entities": spans} if spans is not None else row.get("text")
        example = read_example(raw, file=table.file, line=record.line, problems=problems)
        intent = by_name.get(name)
        if intent is None:
            intent = Intent(name=name, source=Source(file=table.file, line=record.line))
            by_name[name] = intent
        if example is not None:
            intent.examples.append(example)
    return list(by_name.values())


def _bad_header(file: str, expected: str) -> Problem:
    return Problem(
        "AM103",
        "the CSV header lacks a required column",
        file=file,
        line=1,
        hint=f"the first row must name the columns: {expected}",
    )


def merge_intents(intents: list[Intent]) -> tuple[list[Intent], list[Problem]]:
    """Join intents that share a name, keeping the first one's place, description, responses.

    A second definition whose description or a response disagrees is an AM123 warning (the
    first wins); examples are always joined.
    """
    merged: dict[str, Intent] = {}
    problems: list[Problem] = []
    for intent in intents:
        first = merged.get(intent.name)
        if first is None:
            merged[intent.name] = intent.model_copy(
                update={"examples": list(intent.examples), "responses": dict(intent.responses)}
            )
            continue
        first.examples.extend(intent.examples)
        if intent.description and first.description and intent.description != first.description:
            problems.append(_disagree(intent, first, "description"))
        first.description = first.description or intent.description
        for language, reply in intent.responses.items():
            if language in first.responses and first.responses[language] != reply:
                problems.append(_disagree(intent, first, f"response {language!r}"))
            else:
                first.responses[language] = reply
    return list(merged.values()), problems


def _disagree(intent: Intent, first: Intent, what: str) -> Problem:
    source = intent.source or Source(file="")
    return Problem(
        "AM123",
        f"intent {intent.name!r} is defined again with a different {what}; the first "
        f"definition ({first.source}) is used",
        file=source.file or None,
        line=source.line,
        hint="keep the description and responses in one place",
        severity=Severity.WARNING,
    )

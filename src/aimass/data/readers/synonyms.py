"""Entity synonyms and lookup tables from YAML, CSV (``value,alias``) or JSON Lines.

YAML::

    synonyms: [{value: 深圳, aliases: [shenzhen, SZ]}]
    lookups: [{name: city, elements: [北京, 上海, Shenzhen]}]

CSV rows with one ``value`` are grouped; JSON Lines records are ``{"value", "aliases": [...]}``
(or ``"alias"``). Lookup tables live in YAML only (imports from Rasa, LUIS and Dialogflow
produce them).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aimass.data.nodes import line_in
from aimass.data.readers.base import Record, Table, load_table, top_level
from aimass.errors import Problem
from aimass.schemas.project import LookupTable, Source, Synonym

__all__ = ["read_synonyms"]


def read_synonyms(path: Path, root: Path) -> tuple[list[Synonym], list[LookupTable], list[Problem]]:
    table = load_table(path, root)
    problems = list(table.problems)
    if table.is_rows:
        return _from_rows(table, problems), [], problems
    top = top_level(table, ("version", "synonyms", "lookups"), problems)
    if top is None:
        return [], [], problems
    synonyms: list[Synonym] = []
    for item, line in _mappings(top, "synonyms", table, problems):
        record = Record(item, file=table.file, what="a synonym", problems=problems, line=line)
        record.check_keys(("value", "aliases"), required=("value",))
        value = (record.text("value") or "").strip()
        if value:
            aliases = [a.strip() for a, _ in record.texts("aliases") if a.strip()]
            synonyms.append(
                Synonym(value=value, aliases=aliases, source=Source(file=table.file, line=line))
            )
    lookups: list[LookupTable] = []
    for item, line in _mappings(top, "lookups", table, problems):
        record = Record(item, file=table.file, what="a lookup table", problems=problems, line=line)
        record.check_keys(("name", "elements"), required=("name",))
        name = (record.text("name") or "").strip()
        if name:
            elements = [e.strip() for e, _ in record.texts("elements") if e.strip()]
            lookups.append(
                LookupTable(name=name, elements=elements, source=Source(file=table.file, line=line))
            )
    return synonyms, lookups, problems


def _mappings(
    top: Mapping[str, object], key: str, table: Table, problems: list[Problem]
) -> list[tuple[Mapping[str, object], int | None]]:
    raw = top.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(
            Problem("AM103", f"{key!r} must be a list", file=table.file, line=line_in(top, key))
        )
        return []
    result = []
    for index, item in enumerate(raw):
        line = line_in(raw, index)
        if isinstance(item, Mapping):
            result.append((item, line))
        else:
            problems.append(
                Problem(
                    "AM103", f"each entry of {key!r} must be a mapping", file=table.file, line=line
                )
            )
    return result


def _from_rows(table: Table, problems: list[Problem]) -> list[Synonym]:
    if table.kind == "csv" and table.rows and not {"value", "alias"} <= set(table.header):
        problems.append(
            Problem(
                "AM103",
                "the CSV header lacks a required column",
                file=table.file,
                line=1,
                hint="the first row must name the columns: value,alias",
            )
        )
        return []
    by_value: dict[str, Synonym] = {}
    for row in table.rows:
        record = Record(row, file=table.file, what="this record", problems=problems)
        value = (record.text("value") or "").strip()
        if not value:
            record.error("this record has no 'value'")
            continue
        key = "aliases" if "aliases" in row else "alias"
        aliases = [a.strip() for a, _ in record.texts(key) if a.strip()]
        synonym = by_value.setdefault(
            value, Synonym(value=value, source=Source(file=table.file, line=record.line))
        )
        synonym.aliases.extend(a for a in aliases if a not in synonym.aliases)
    return list(by_value.values())

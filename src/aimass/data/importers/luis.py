"""LUIS app exports (the JSON of "Export as JSON", schema 3.x-7.x).

What maps:

* ``utterances[{text, intent, entities[{entity, startPos, endPos, role?, children?}]}]`` ->
  examples; ``endPos`` is *inclusive* in LUIS, so a span is ``startPos .. endPos + 1``.
  Offsets count UTF-16 code units (as .NET does) and are converted. Child entities of
  machine-learned entities become spans of their own.
* the ``None`` intent -> ``oos`` (LUIS's "none of the above" class).
* ``closedLists`` (list entities) -> one synonym per ``subLists`` item (canonical form and its
  list) plus a lookup table named after the entity.
* ``culture`` -> the project language; ``name``/``desc`` -> name and description.

Skipped (AM202): ``patterns``, ``prebuiltEntities``, ``regex_entities``, ``patternAnyEntities``,
``composites``, ``phraselists``/``model_features``; intents without utterances.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aimass.data.importers.base import (
    ContentBuilder,
    ImportResult,
    parse_json,
    read_source,
    short_language,
    utf16_to_index,
)
from aimass.data.names import OOS
from aimass.data.nodes import line_in, line_of
from aimass.errors import ImportFormatError
from aimass.schemas.project import EntitySpan, Source

__all__ = ["import_luis", "is_luis"]

_SKIPPED = {
    "patterns": "patterns",
    "prebuiltEntities": "prebuilt entities",
    "regex_entities": "regex entities",
    "regexEntities": "regex entities",
    "patternAnyEntities": "pattern.any entities",
    "composites": "composite entities",
    "phraselists": "phrase lists",
    "model_features": "phrase lists",
}


def is_luis(tree: Any) -> bool:
    return isinstance(tree, Mapping) and (
        "luis_schema_version" in tree
        or (
            isinstance(tree.get("utterances"), list)
            and isinstance(tree.get("intents"), list)
            and "assets" not in tree
        )
    )


def import_luis(path: str | Path) -> ImportResult:
    path = Path(path)
    file = path.name
    tree = parse_json(read_source(path, file), file)
    if not is_luis(tree):
        raise ImportFormatError(
            "not a LUIS app export (no 'luis_schema_version' / 'utterances')",
            code="AM200",
            file=file,
        )
    builder = ContentBuilder("luis")
    for key, what in _SKIPPED.items():
        items = tree.get(key)
        if isinstance(items, list) and items:
            shown = ", ".join(_label(item) for item in items[:3]) + (
                ", ..." if len(items) > 3 else ""
            )
            builder.skip(
                f"{len(items)} {what} ({shown}) not imported: AI Mass learns from examples",
                file,
                line_in(tree, key),
            )
    for item in tree.get("intents") or []:
        if isinstance(item, Mapping) and item.get("name"):
            name = str(item["name"])
            builder.intent(
                name, Source(file=file, line=line_of(item)), name=OOS if name == "None" else None
            )
    for item in tree.get("closedLists") or []:
        _closed_list(builder, item, file)
    utterances = tree.get("utterances")
    if not isinstance(utterances, list):
        raise ImportFormatError("'utterances' must be a list", code="AM201", file=file)
    for index, item in enumerate(utterances):
        line = line_in(utterances, index)
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            builder.malformed("an utterance needs 'text'", file, line)
            continue
        intent_name = str(item.get("intent") or "")
        if not intent_name:
            builder.malformed("an utterance without an intent was left out", file, line)
            continue
        text = str(item["text"])
        source = Source(file=file, line=line)
        spans: list[EntitySpan] = []
        for entity in item.get("entities") or []:
            _spans(builder, text, entity, source, spans)
        intent = builder.intent(intent_name, source, name=OOS if intent_name == "None" else None)
        builder.add_example(intent, text, spans, source)
    culture = tree.get("culture")
    languages = [short_language(str(culture))] if culture else []
    return builder.result(
        name=str(tree["name"]) if tree.get("name") else None,
        languages=languages,
        description=str(tree["desc"]) if tree.get("desc") else None,
    )


def _label(item: Any) -> str:
    if isinstance(item, Mapping):
        for key in ("name", "pattern"):
            if item.get(key):
                return repr(str(item[key]))
    return "(unnamed)"


def _spans(
    builder: ContentBuilder, text: str, entity: Any, source: Source, out: list[EntitySpan]
) -> None:
    if not isinstance(entity, Mapping):
        return
    start, end, name = entity.get("startPos"), entity.get("endPos"), entity.get("entity")
    if not isinstance(start, int) or not isinstance(end, int) or not name:
        builder.malformed(
            "an entity needs 'entity', 'startPos' and 'endPos'", source.file, source.line
        )
        return
    begin = utf16_to_index(text, start)
    finish = utf16_to_index(text, end + 1)  # endPos is inclusive
    span = builder.span(
        text, begin, finish, str(name), role=entity.get("role") or None, source=source
    )
    if span is not None:
        out.append(span)
    for child in entity.get("children") or []:
        _spans(builder, text, child, source, out)


def _closed_list(builder: ContentBuilder, item: Any, file: str) -> None:
    if not isinstance(item, Mapping) or not item.get("name"):
        return
    source = Source(file=file, line=line_of(item))
    canonical = []
    for sub in item.get("subLists") or []:
        if isinstance(sub, Mapping) and sub.get("canonicalForm"):
            value = str(sub["canonicalForm"])
            canonical.append(value)
            builder.add_synonym(value, [str(a) for a in sub.get("list") or []], source)
    builder.add_lookup(str(item["name"]), canonical, source)

"""The older Rasa training-data formats: Markdown (Rasa 1.x) and JSON (``rasa_nlu_data``).

Markdown::

    ## intent:check_balance
    - how much do I have on my [savings](account)
    ## synonym:savings
    - pink pig
    ## lookup:currencies
    - Yen
    ## regex:zipcode          <- skipped
    - [0-9]{5}

JSON: ``rasa_nlu_data.common_examples`` with ``entities[{start, end, entity, value}]`` (a
``value`` different from the text span is the synonym value), ``entity_synonyms``,
``lookup_tables`` (element lists; file paths are skipped) and ``regex_features`` (skipped).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aimass.data.nodes import LDict, line_in, line_of
from aimass.errors import ImportFormatError
from aimass.schemas.project import EntitySpan, Source

if TYPE_CHECKING:
    from aimass.data.importers.rasa import _RasaReader

__all__ = ["read_json", "read_markdown"]

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HEADER = re.compile(r"^##\s*(?P<kind>intent|synonym|regex|lookup)\s*:\s*(?P<name>.+?)\s*$")


def read_markdown(reader: _RasaReader, text: str, file: str) -> None:
    # Comments may span lines; blank them out but keep the line breaks for line numbers.
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    builder = reader.builder
    section: tuple[str, str, int] | None = None
    examples: list[tuple[str, int | None]] = []

    def flush() -> None:
        if section is None:
            return
        kind, name, line = section
        source = Source(file=file, line=line)
        if kind == "intent":
            reader.add_intent(name, examples, file, line)
        elif kind == "synonym":
            builder.add_synonym(name, [t for t, _ in examples], source)
        elif kind == "lookup":
            builder.add_lookup(name, [t for t, _ in examples], source)
        else:
            builder.skip(f"regex {name!r} is not imported", file, line)

    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line.startswith("##"):
            flush()
            examples = []
            match = _HEADER.match(line)
            if match is None:
                section = None
                builder.skip(f"section {line!r} is not NLU data; skipped", file, number)
            else:
                section = (match.group("kind"), match.group("name"), number)
        elif line.startswith(("- ", "* ")) and section is not None:
            examples.append((line[2:].strip(), number))
        elif line and section is not None and section[0] == "lookup":
            builder.skip(f"lookup table file {line!r} is not imported", file, number)
    flush()


def read_json(reader: _RasaReader, tree: Any, file: str) -> None:
    data = tree.get("rasa_nlu_data") if isinstance(tree, Mapping) else None
    if not isinstance(data, Mapping):
        raise ImportFormatError("expected a 'rasa_nlu_data' object", code="AM201", file=file)
    builder = reader.builder
    grouped: dict[str, list[tuple[str, list[EntitySpan], int | None]]] = {}
    examples = data.get("common_examples") or []
    for index, item in enumerate(examples if isinstance(examples, list) else []):
        line = line_in(examples, index)
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            builder.malformed("an example needs 'text'", file, line)
            continue
        text = str(item["text"])
        spans = []
        for entity in item.get("entities") or []:
            span = _json_span(reader, text, entity, file, line)
            if span is not None:
                spans.append(span)
        intent = str(item.get("intent") or "").strip()
        if not intent:
            builder.skip("an example without an intent was left out", file, line)
            continue
        grouped.setdefault(intent, []).append((text, spans, line))
    for intent_name, rows in grouped.items():
        reader.add_intent(
            intent_name,
            [(text, line) for text, _, line in rows],
            file,
            rows[0][2],
            spans=[spans for _, spans, _ in rows],
        )
    for item in data.get("entity_synonyms") or []:
        if isinstance(item, Mapping) and item.get("value"):
            builder.add_synonym(
                str(item["value"]),
                [str(s) for s in item.get("synonyms") or []],
                Source(file=file, line=line_of(item)),
            )
    for item in data.get("lookup_tables") or []:
        if not isinstance(item, Mapping) or not item.get("name"):
            continue
        elements = item.get("elements")
        if isinstance(elements, list):
            builder.add_lookup(
                str(item["name"]), [str(e) for e in elements], Source(file=file, line=line_of(item))
            )
        else:
            builder.skip(
                f"lookup table {item['name']!r} given as a file is not imported",
                file,
                line_of(item),
            )
    for item in data.get("regex_features") or []:
        name = item.get("name") if isinstance(item, LDict) else None
        builder.skip(f"regex {name!r} is not imported", file, line_of(item))


def _json_span(
    reader: _RasaReader, text: str, entity: Any, file: str, line: int | None
) -> EntitySpan | None:
    if not isinstance(entity, Mapping):
        return None
    start, end, name = entity.get("start"), entity.get("end"), entity.get("entity")
    if not isinstance(start, int) or not isinstance(end, int) or not name:
        reader.builder.malformed(
            "an entity needs integer 'start', 'end' and 'entity'", file, line_of(entity, line)
        )
        return None
    value = entity.get("value")
    span = reader.builder.span(
        text,
        start,
        end,
        str(name),
        role=str(entity["role"]) if entity.get("role") else None,
        normalized=str(value) if value is not None else None,
        source=Source(file=file, line=line_of(entity, line)),
    )
    if span is not None and span.normalized:
        reader.builder.add_synonym(span.normalized, [span.value], Source(file=file, line=line))
    return span

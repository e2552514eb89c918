"""Azure AI Language conversational language understanding (CLU) project exports.

What maps:

* ``assets.utterances[{text, intent, language, entities[{category, offset, length}]}]`` ->
  examples with spans; offsets are UTF-16 code units (``stringIndexType: Utf16CodeUnit``, the
  export default) and are converted.
* ``None`` -> ``oos``.
* ``assets.entities[].list.sublists[{listKey, synonyms[{language, values}]}]`` -> synonyms, and
  a lookup table per list entity.
* ``metadata.language`` / per-utterance languages -> project languages; ``projectName`` and
  ``description``.

Skipped (AM202): prebuilt components, regex components and required components of entities;
utterances of the ``Test`` dataset (kept out so you can evaluate on them); orchestration
projects are refused (they route to other projects and hold no examples).
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
from aimass.schemas.project import Source

__all__ = ["import_clu", "is_clu"]


def is_clu(tree: Any) -> bool:
    assets = tree.get("assets") if isinstance(tree, Mapping) else None
    return isinstance(assets, Mapping) and (
        "utterances" in assets or "intents" in assets or "projectKind" in assets
    )


def import_clu(path: str | Path) -> ImportResult:
    path = Path(path)
    file = path.name
    tree = parse_json(read_source(path, file), file)
    if not is_clu(tree):
        raise ImportFormatError("not a CLU project export (no 'assets')", code="AM200", file=file)
    metadata = tree.get("metadata") if isinstance(tree.get("metadata"), Mapping) else {}
    assets = tree["assets"]
    kind = assets.get("projectKind") or metadata.get("projectKind")
    if kind and str(kind) != "Conversation":
        raise ImportFormatError(
            f"CLU project kind {kind!r} cannot be imported (only 'Conversation' projects hold "
            "utterances)",
            code="AM201",
            file=file,
        )
    utf16 = str(tree.get("stringIndexType") or "Utf16CodeUnit") == "Utf16CodeUnit"
    builder = ContentBuilder("clu")
    for item in assets.get("intents") or []:
        if isinstance(item, Mapping) and item.get("category"):
            name = str(item["category"])
            builder.intent(
                name, Source(file=file, line=line_of(item)), name=OOS if name == "None" else None
            )
    for item in assets.get("entities") or []:
        _entity(builder, item, file)
    languages: list[str] = []
    if metadata.get("language"):
        languages.append(short_language(str(metadata["language"])))
    held_out = 0
    utterances = assets.get("utterances") or []
    for index, item in enumerate(utterances):
        line = line_in(utterances, index)
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            builder.malformed("an utterance needs 'text'", file, line)
            continue
        if str(item.get("dataset") or "Train") == "Test":
            held_out += 1
            continue
        name = str(item.get("intent") or "")
        if not name:
            builder.malformed("an utterance without an intent was left out", file, line)
            continue
        text = str(item["text"])
        source = Source(file=file, line=line)
        spans = []
        for entity in item.get("entities") or []:
            if not isinstance(entity, Mapping):
                continue
            offset, length = entity.get("offset"), entity.get("length")
            if (
                not isinstance(offset, int)
                or not isinstance(length, int)
                or not entity.get("category")
            ):
                builder.malformed("an entity needs 'category', 'offset' and 'length'", file, line)
                continue
            start = utf16_to_index(text, offset) if utf16 else offset
            end = utf16_to_index(text, offset + length) if utf16 else offset + length
            span = builder.span(text, start, end, str(entity["category"]), source=source)
            if span is not None:
                spans.append(span)
        if item.get("language"):
            language = short_language(str(item["language"]))
            if language not in languages:
                languages.append(language)
        intent = builder.intent(name, source, name=OOS if name == "None" else None)
        builder.add_example(intent, text, spans, source)
    if held_out:
        builder.skip(
            f"{held_out} utterance(s) of the Test dataset were not imported; keep them to "
            "evaluate the trained bot",
            file,
        )
    return builder.result(
        name=str(metadata["projectName"]) if metadata.get("projectName") else None,
        languages=languages,
        description=str(metadata["description"]) if metadata.get("description") else None,
    )


def _entity(builder: ContentBuilder, item: Any, file: str) -> None:
    if not isinstance(item, Mapping) or not item.get("category"):
        return
    name = str(item["category"])
    source = Source(file=file, line=line_of(item))
    for part in ("prebuilts", "regex", "requiredComponents"):
        if item.get(part):
            builder.skip(
                f"entity {name!r}: {part} components are not imported", file, line_in(item, part)
            )
    listed = item.get("list")
    if not isinstance(listed, Mapping):
        return
    keys = []
    for sub in listed.get("sublists") or []:
        if not isinstance(sub, Mapping) or not sub.get("listKey"):
            continue
        key = str(sub["listKey"])
        keys.append(key)
        aliases = [
            str(value)
            for group in sub.get("synonyms") or []
            if isinstance(group, Mapping)
            for value in group.get("values") or []
        ]
        builder.add_synonym(key, aliases, source)
    builder.add_lookup(name, keys, source)

"""One training example from a data file: its text and entity spans.

An example is a string (inline annotations allowed) or a mapping
``{text, entities: [{start, end, entity, value?, role?, normalized?}]}``. Surrounding
whitespace and stray byte-order marks (seen inside some benchmark texts) are stripped, with
explicit offsets shifted to match. A mapping with an ``entities`` list (even an empty one)
takes its text literally: brackets in it are not parsed as inline annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aimass.data.annotations import parse_annotated
from aimass.data.nodes import line_in
from aimass.data.readers.base import Record, as_text
from aimass.errors import Problem
from aimass.schemas.project import EntitySpan, Example, Source

__all__ = ["EXAMPLE_KEYS", "clean_text", "read_example", "read_spans"]

EXAMPLE_KEYS = ("text", "entities")
ENTITY_KEYS = ("start", "end", "entity", "value", "role", "normalized")
_STRIP = " \t\n\r\f\v\u3000\ufeff\u200b"


def clean_text(text: str) -> tuple[str, int]:
    """``text`` without surrounding whitespace/BOMs, and how many characters left the front."""
    stripped = text.lstrip(_STRIP)
    shift = len(text) - len(stripped)
    return stripped.rstrip(_STRIP), shift


def read_example(
    raw: Any, *, file: str, line: int | None, problems: list[Problem], what: str = "example"
) -> Example | None:
    """Parse one example; ``None`` (with a problem) when it has no usable text."""
    source = Source(file=file, line=line)
    explicit: Any = None
    if isinstance(raw, Mapping):
        record = Record(raw, file=file, what=what, problems=problems, line=line)
        record.check_keys(EXAMPLE_KEYS)
        written = record.text("text")
        explicit = raw.get("entities")
    else:
        written = as_text(raw)
        if written is None and raw is not None:
            problems.append(
                Problem("AM103", f"{what} must be text or a mapping", file=file, line=line)
            )
            return None
    if not written or not written.strip(_STRIP):
        problems.append(
            Problem(
                "AM113",
                f"{what} text is empty",
                file=file,
                line=line,
                hint="write the message or remove the entry",
            )
        )
        return None
    if explicit is not None:
        text, shift = clean_text(written)
        spans = read_spans(explicit, text, shift, file=file, line=line, problems=problems)
    else:
        plain, spans, errors = parse_annotated(written)
        for error in errors:
            problems.append(Problem("AM117", error, file=file, line=line))
        text, shift = clean_text(plain)
        spans = [_shifted(span, -shift) for span in spans]
        spans = [s for s in spans if s.start >= 0 and s.end <= len(text)]
    return Example(text=text, entities=spans, source=source)


def read_spans(
    raw: Any, text: str, shift: int, *, file: str, line: int | None, problems: list[Problem]
) -> list[EntitySpan]:
    """Explicit entity spans; a span that does not match ``text`` is AM117 and dropped."""
    if not isinstance(raw, list):
        problems.append(Problem("AM103", "'entities' must be a list", file=file, line=line))
        return []
    spans: list[EntitySpan] = []
    for index, item in enumerate(raw):
        item_line = line_in(raw, index, line)
        if not isinstance(item, Mapping):
            problems.append(
                Problem("AM103", "an entity must be a mapping", file=file, line=item_line)
            )
            continue
        record = Record(item, file=file, what="entity", problems=problems, line=item_line)
        if not record.check_keys(ENTITY_KEYS, required=("start", "end", "entity")):
            continue
        start, end = _int(item.get("start")), _int(item.get("end"))
        entity = record.text("entity")
        if start is None or end is None or not entity:
            record.error("an entity needs integer 'start' and 'end' and an 'entity' name")
            continue
        start, end = start - shift, end - shift
        value = record.text("value")
        if not 0 <= start < end <= len(text):
            problems.append(
                Problem(
                    "AM117",
                    f"entity {entity!r} span {start + shift}..{end + shift} is outside the text "
                    f"(length {len(text)})",
                    file=file,
                    line=item_line,
                    hint="offsets count characters from 0; 'end' is exclusive",
                )
            )
            continue
        if value is not None and text[start:end] != value:
            problems.append(
                Problem(
                    "AM117",
                    f"entity {entity!r}: text[{start + shift}:{end + shift}] is "
                    f"{text[start:end]!r}, not {value!r}",
                    file=file,
                    line=item_line,
                    hint="fix 'start'/'end' (character offsets, 'end' exclusive) or 'value'",
                )
            )
            continue
        spans.append(
            EntitySpan(
                start=start,
                end=end,
                entity=entity,
                value=text[start:end],
                role=record.text("role"),
                normalized=record.text("normalized"),
            )
        )
    return spans


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _shifted(span: EntitySpan, delta: int) -> EntitySpan:
    return span.model_copy(update={"start": span.start + delta, "end": span.end + delta})

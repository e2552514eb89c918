"""Rasa-style inline entity annotations in example text.

``send it to [Shenzhen](city)`` is the text ``send it to Shenzhen`` with an entity ``city``
over ``Shenzhen``. Three forms, as in Rasa:

* ``[value](entity)``
* ``[value](entity:normalized)`` — the older synonym form
* ``[value]{"entity": "e", "value": "v", "role": "r"}`` — JSON; ``value`` is the canonical
  (synonym) value, so it goes to ``EntitySpan.normalized``; the span's ``value`` is always the
  text as written, so ``text[start:end] == value`` holds. ``group`` is read and dropped.

Brackets that are not followed by ``(...)`` or ``{...}`` are plain text. There is no escape
syntax (Rasa has none either); ``format_annotated`` therefore refuses texts it could not write
back unambiguously, and the writer falls back to an explicit ``entities`` list.
"""

from __future__ import annotations

import json
import re

from aimass.schemas.project import EntitySpan

__all__ = ["format_annotated", "has_annotation", "parse_annotated"]

_ANNOTATION = re.compile(
    r"\[(?P<value>[^\[\]\n]+)\](?:\((?P<short>[^()\n]*)\)|(?P<json>\{[^{}\n]*\}))"
)


def has_annotation(text: str) -> bool:
    return _ANNOTATION.search(text) is not None


def parse_annotated(text: str) -> tuple[str, list[EntitySpan], list[str]]:
    """Strip annotations; returns ``(plain text, spans, errors)``.

    A malformed annotation (bad JSON, no entity name) is left out of the spans and described
    in ``errors``; its value still counts as plain text.
    """
    parts: list[str] = []
    spans: list[EntitySpan] = []
    errors: list[str] = []
    position = 0  # in the plain text
    last = 0  # in the annotated text
    for match in _ANNOTATION.finditer(text):
        before = text[last : match.start()]
        parts.append(before)
        position += len(before)
        value = match.group("value")
        parts.append(value)
        span, error = _span(match, position, value)
        if span is not None:
            spans.append(span)
        if error is not None:
            errors.append(error)
        position += len(value)
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), spans, errors


def _span(match: re.Match[str], start: int, value: str) -> tuple[EntitySpan | None, str | None]:
    end = start + len(value)
    short = match.group("short")
    if short is not None:
        entity, _, normalized = short.partition(":")
        entity, normalized = entity.strip(), normalized.strip()
        if not entity:
            return None, f"annotation {match.group(0)!r} has no entity name"
        return EntitySpan(
            start=start, end=end, entity=entity, value=value, normalized=normalized or None
        ), None
    try:
        data = json.loads(match.group("json"))
    except json.JSONDecodeError as err:
        return None, f"annotation {match.group(0)!r} is not valid JSON ({err.msg})"
    if not isinstance(data, dict) or not isinstance(data.get("entity"), str) or not data["entity"]:
        return None, f'annotation {match.group(0)!r} needs an "entity" name'
    canonical, role = data.get("value"), data.get("role")
    if canonical is not None and not isinstance(canonical, str):
        canonical = str(canonical)
    return EntitySpan(
        start=start,
        end=end,
        entity=data["entity"],
        value=value,
        role=str(role) if role is not None else None,
        normalized=canonical if canonical and canonical != value else None,
    ), None


def format_annotated(text: str, spans: list[EntitySpan]) -> str | None:
    """Write ``text`` with inline annotations, or ``None`` when that would not read back.

    Spans must be in range, non-overlapping and match the text; the result is checked by
    parsing it again, so a text that already looks like an annotation is never mangled.
    """
    if not spans:
        return None if has_annotation(text) else text
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    parts: list[str] = []
    last = 0
    for span in ordered:
        if span.start < last or span.end > len(text) or text[span.start : span.end] != span.value:
            return None
        parts.append(text[last : span.start])
        parts.append(_annotation(span))
        last = span.end
    parts.append(text[last:])
    written = "".join(parts)
    plain, parsed, errors = parse_annotated(written)
    if errors or plain != text or [_key(s) for s in parsed] != [_key(s) for s in ordered]:
        return None
    return written


def _annotation(span: EntitySpan) -> str:
    if span.role is None and span.normalized is None and re.fullmatch(r"[^():\s]+", span.entity):
        return f"[{span.value}]({span.entity})"
    data: dict[str, str] = {"entity": span.entity}
    if span.normalized is not None:
        data["value"] = span.normalized
    if span.role is not None:
        data["role"] = span.role
    return f"[{span.value}]{json.dumps(data, ensure_ascii=False)}"


def _key(span: EntitySpan) -> tuple[object, ...]:
    return (span.start, span.end, span.entity, span.value, span.role, span.normalized)

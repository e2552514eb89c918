"""Writing augmented examples for review, in the project's own intents formats.

YAML (``.yaml``/``.yml``) is an ordinary intents file: each example is followed by a comment
saying which augmenter made it, from which example, and the model's confidence, so a reviewer
sees why it is there and the file can be moved into ``data/`` as it is. JSON Lines
(``.jsonl``) rows are ``{"text", "intent", "augmenter", "source", "confidence", "predicted"}``;
the project's JSONL reader ignores the extra fields. Written atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aimass.augment.filter import Candidate
from aimass.data.writer import dump_yaml
from aimass.errors import TrainingError

__all__ = ["FORMATS", "output_format", "write_augmented"]

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".jsonl": "jsonl"}


def output_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise TrainingError(
            f"cannot write augmented examples as {path.suffix or 'a file without a suffix'}",
            code="AM545",
            hint="name the output .yaml, .yml or .jsonl",
            file=str(path),
        )
    return fmt


def write_augmented(
    path: Path, selected: Sequence[Candidate], report: dict[str, Any] | None = None
) -> Path:
    fmt = output_format(path)
    text = _yaml(selected, report) if fmt == "yaml" else _jsonl(selected)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _comment(c: Candidate) -> str:
    conf = f" · p={c.confidence:.2f}" if c.confidence is not None else ""
    source = c.source.replace("\n", " ")
    return f"{c.augmenter} · from {json.dumps(source, ensure_ascii=False)}{conf}"


def _yaml(selected: Sequence[Candidate], report: dict[str, Any] | None) -> str:
    lines = [
        "# Augmented examples written by `aimass augment` for review: nothing here is part of",
        "# the project until you move the examples you accept into its data files.",
    ]
    if report:
        reasons = ", ".join(f"{k} {v}" for k, v in report.get("by_reason", {}).items() if v)
        lines.append(
            f"# {report.get('candidates', 0)} candidates, {report.get('rejected', 0)} rejected"
            + (f" ({reasons})" if reasons else "")
            + f"; seed {report.get('seed')}, threshold {report.get('threshold')}"
        )
    by_intent: dict[str, list[Candidate]] = {}
    for c in selected:
        by_intent.setdefault(c.intent, []).append(c)
    lines.append("intents:" if by_intent else "intents: []")
    for intent, items in by_intent.items():
        lines.append("  " + dump_yaml([{"name": intent}]).strip())
        lines.append("    examples:")
        for c in items:
            item = dump_yaml([c.text]).rstrip("\n")
            if "\n" in item:  # a block scalar cannot take a trailing comment
                lines += ["      " + ln for ln in item.splitlines()]
            else:
                lines.append(f"      {item}  # {_comment(c)}")
    return "\n".join(lines) + "\n"


def _jsonl(selected: Sequence[Candidate]) -> str:
    rows = [
        {
            "text": c.text,
            "intent": c.intent,
            "augmenter": c.augmenter,
            "source": c.source,
            "confidence": None if c.confidence is None else round(c.confidence, 4),
            "predicted": c.predicted,
        }
        for c in selected
    ]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)

"""Importers of other tools' training data, one module per source.

Each ``import_<source>(path) -> ImportResult`` maps what has an AI Mass equivalent (intents,
examples with entity spans, synonyms, lookup tables, FAQ-style intents with their answers)
and lists the rest in ``ImportResult.skipped``. ``import_any`` picks the importer from the
file or folder when the format is not given.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from aimass.data.importers.base import ImportResult
from aimass.data.importers.clu import import_clu, is_clu
from aimass.data.importers.dialogflow import import_dialogflow, is_dialogflow
from aimass.data.importers.luis import import_luis, is_luis
from aimass.data.importers.paddlenlp import import_paddlenlp, is_paddlenlp
from aimass.data.importers.rasa import import_rasa, is_rasa_file
from aimass.errors import ImportFormatError

__all__ = [
    "FORMATS",
    "ImportResult",
    "detect_format",
    "import_any",
    "import_clu",
    "import_dialogflow",
    "import_luis",
    "import_paddlenlp",
    "import_rasa",
]

FORMATS: dict[str, Callable[[Path], ImportResult]] = {
    "rasa": import_rasa,
    "luis": import_luis,
    "clu": import_clu,
    "dialogflow": import_dialogflow,
    "paddlenlp": import_paddlenlp,
}
_ALIASES = {"paddle": "paddlenlp", "dialogflow-es": "dialogflow", "azure-clu": "clu"}
_HINT = (
    "give the format explicitly (rasa, luis, clu, dialogflow, paddlenlp); expected a Rasa "
    "project or nlu.yml/.md/.json, a LUIS or CLU JSON export, a Dialogflow ES agent folder or "
    ".zip, or a PaddleNLP folder with train.txt"
)
_MAX_SCAN = 500


def import_any(path: str | Path, format: str | None = None) -> ImportResult:
    """Import ``path`` with the importer for ``format`` (detected when ``None``)."""
    path = Path(path)
    if not path.exists():
        raise ImportFormatError(f"{str(path)!r} not found", code="AM200")
    name = _ALIASES.get((format or "").lower(), (format or "").lower()) or detect_format(path)
    if name not in FORMATS:
        raise ImportFormatError(f"unknown import format {format!r}", code="AM200", hint=_HINT)
    return FORMATS[name](path)


def detect_format(path: str | Path) -> str:
    """The format of an export, from its layout and first bytes (AM200 when unclear)."""
    path = Path(path)
    if path.is_dir():
        if is_dialogflow(path):
            return "dialogflow"
        if is_paddlenlp(path):
            return "paddlenlp"
        files = sorted(p for p in path.rglob("*") if p.is_file())[:_MAX_SCAN]
        if any(is_rasa_file(p) for p in files):
            return "rasa"
        if (path / "aimass.yaml").is_file():
            raise ImportFormatError(
                f"{str(path)!r} is already an AI Mass project",
                code="AM200",
                hint="load it with `aimass validate`/`aimass train` instead of importing it",
            )
    else:
        suffix = path.suffix.lower()
        if suffix == ".zip" and is_dialogflow(path):
            return "dialogflow"
        if suffix in (".yml", ".yaml", ".md") and is_rasa_file(path):
            return "rasa"
        if suffix == ".json":
            found = _json_format(path)
            if found:
                return found
        if suffix in (".txt", ".tsv") and is_paddlenlp(path):
            return "paddlenlp"
    raise ImportFormatError(f"cannot tell the format of {str(path)!r}", code="AM200", hint=_HINT)


def _json_format(path: Path) -> str | None:
    if is_rasa_file(path):
        return "rasa"
    try:
        head = path.read_text(encoding="utf-8-sig", errors="replace")[:50000]
    except OSError:
        return None
    if '"luis_schema_version"' in head:
        return "luis"
    if '"assets"' in head and ('"projectKind"' in head or '"utterances"' in head):
        return "clu"
    try:
        tree = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None
    if is_clu(tree):
        return "clu"
    if is_luis(tree):
        return "luis"
    return None

"""Dialogflow ES agent exports: the folder or the .zip from "Export as ZIP".

What maps:

* ``intents/<name>.json`` + ``intents/<name>_usersays_<lang>.json`` -> an intent; each user
  says is the join of its ``data`` parts, and a part with ``meta`` (``@city``, ``@sys.date``)
  or ``alias`` is an entity span (entity = meta without ``@``; role = the alias when it
  differs, since the alias is the parameter name).
* fallback intents (``fallbackIntent: true``) -> ``oos`` (their user says are negative
  examples); intent names with spaces or non-ASCII letters are renamed (AM121 note; the
  original becomes the description).
* the first text response (``messages[type 0].speech``) per language -> ``responses[lang]``.
* ``entities/<name>.json`` + ``<name>_entries_<lang>.json`` -> synonyms (value and synonyms)
  and a lookup table of the values.

Skipped (AM202): template-mode user says (``@sys.date:date`` written in the text), regexp
entities, rich responses, extra response variants, contexts, events, webhooks, follow-up
structure, and the replies of fallback intents (set ``replies.fallback`` in aimass.yaml).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from aimass.data.encoding import decode_text
from aimass.data.importers.base import ContentBuilder, ImportResult, parse_json, short_language
from aimass.data.names import OOS
from aimass.data.nodes import line_in, line_of
from aimass.errors import ImportFormatError
from aimass.schemas.project import EntitySpan, Source

__all__ = ["import_dialogflow", "is_dialogflow"]

_USERSAYS = re.compile(r"^(?P<stem>.+)_usersays_(?P<lang>[A-Za-z-]+)\.json$")
_ENTRIES = re.compile(r"^(?P<stem>.+)_entries_(?P<lang>[A-Za-z-]+)\.json$")
_DIALOGUE = ("contexts", "affectedContexts", "events", "webhookUsed", "parentId")


class _Agent:
    """The files of an agent, from a folder or a zip, by path relative to the agent root."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: dict[str, Any] = {}
        if path.is_dir():
            root = path if (path / "intents").is_dir() or (path / "agent.json").is_file() else None
            if root is None:
                found = sorted(path.rglob("agent.json"))
                root = found[0].parent if found else path
            for file in sorted(root.rglob("*.json")):
                self.files[file.relative_to(root).as_posix()] = file
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.endswith(".json")]
                anchors = [n for n in names if PurePosixPath(n).name == "agent.json"]
                prefix = str(PurePosixPath(anchors[0]).parent) if anchors else ""
                prefix = "" if prefix == "." else prefix + "/" if prefix else ""
                for name in sorted(names):
                    if name.startswith(prefix):
                        self.files[name[len(prefix) :]] = archive.read(name)
        else:
            raise ImportFormatError(
                f"{str(path)!r} is neither a folder nor a zip file", code="AM200"
            )

    def names(self, folder: str) -> list[str]:
        return [n for n in self.files if n.startswith(folder + "/") and n.count("/") == 1]

    def json(self, name: str) -> Any:
        raw = self.files[name]
        data = raw.read_bytes() if isinstance(raw, Path) else raw
        text, problem = decode_text(data, name)
        if problem is not None or text is None:
            raise ImportFormatError(
                problem.message if problem else "file cannot be decoded",
                code=problem.code if problem else "AM101",
                hint=problem.hint if problem else None,
                file=name,
                line=problem.line if problem else None,
            )
        return parse_json(text, name)


def is_dialogflow(path: Path) -> bool:
    if path.is_dir():
        return (
            any(path.glob("agent.json"))
            or any(path.glob("*/agent.json"))
            or any(path.glob("intents/*_usersays_*.json"))
        )
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return any(
                PurePosixPath(n).name == "agent.json" or "_usersays_" in n
                for n in archive.namelist()
            )
    return False


def import_dialogflow(path: str | Path) -> ImportResult:
    path = Path(path)
    if not path.exists():
        raise ImportFormatError(f"{str(path)!r} not found", code="AM200")
    agent = _Agent(path)
    if not agent.names("intents"):
        raise ImportFormatError(
            "no intents/*.json found: not a Dialogflow ES agent export",
            code="AM200",
            hint="export the agent in the Dialogflow ES console (Settings > Export and Import)",
        )
    meta = agent.json("agent.json") if "agent.json" in agent.files else {}
    default_language = str(meta.get("language") or "en")
    languages = [short_language(default_language)]
    for extra in meta.get("supportedLanguages") or []:
        if short_language(str(extra)) not in languages:
            languages.append(short_language(str(extra)))
    builder = ContentBuilder("dialogflow")
    names = agent.names("intents")
    for name in names:
        if not _USERSAYS.match(PurePosixPath(name).name):
            _intent(builder, agent, name, names, default_language)
    entity_names = agent.names("entities")
    for name in entity_names:
        if not _ENTRIES.match(PurePosixPath(name).name):
            _entity(builder, agent, name, entity_names)
    display = meta.get("displayName") or path.stem
    return builder.result(
        name=str(display),
        languages=languages,
        description=str(meta["description"]) if meta.get("description") else None,
    )


def _intent(
    builder: ContentBuilder, agent: _Agent, file: str, names: list[str], default_language: str
) -> None:
    data = agent.json(file)
    if not isinstance(data, Mapping) or not data.get("name"):
        builder.malformed("an intent file needs a 'name'", file, 1)
        return
    source_name = str(data["name"])
    fallback = bool(data.get("fallbackIntent"))
    source = Source(file=file, line=line_of(data))
    intent = builder.intent(source_name, source, name=OOS if fallback else None)
    used = [k for k in _DIALOGUE if data.get(k)]
    if used:
        builder.skip(
            f"intent {source_name!r}: {', '.join(used)} are not imported",
            file,
            line_in(data, used[0]),
        )
    stem = PurePosixPath(file).stem
    for says_file in names:
        match = _USERSAYS.match(PurePosixPath(says_file).name)
        if match is None or match.group("stem") != stem:
            continue
        says = agent.json(says_file)
        for index, item in enumerate(says if isinstance(says, list) else []):
            line = line_in(says, index)
            if not isinstance(item, Mapping) or not isinstance(item.get("data"), list):
                builder.malformed("a user says entry needs 'data' parts", says_file, line)
                continue
            if item.get("isTemplate"):
                builder.skip("template-mode user says is not imported", says_file, line)
                continue
            text, spans = _parts(item["data"])
            builder.add_example(intent, text, spans, Source(file=says_file, line=line))
    _responses(builder, intent.responses, data, file, source_name, fallback, default_language)


def _parts(parts: list[Any]) -> tuple[str, list[EntitySpan]]:
    text = ""
    spans = []
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        value = str(part.get("text") or "")
        meta, alias = part.get("meta"), part.get("alias")
        if value and (meta or alias):
            entity = str(meta).lstrip("@") if meta else str(alias)
            role = str(alias) if alias and str(alias) != entity else None
            spans.append(
                EntitySpan(
                    start=len(text),
                    end=len(text) + len(value),
                    entity=entity,
                    value=value,
                    role=role,
                )
            )
        text += value
    return text, spans


def _responses(
    builder: ContentBuilder,
    target: dict[str, str],
    data: Mapping[str, Any],
    file: str,
    intent: str,
    fallback: bool,
    default_language: str,
) -> None:
    extra = rich = 0
    first_line = None
    for response in data.get("responses") or []:
        messages = response.get("messages") if isinstance(response, Mapping) else None
        for message in messages or []:
            if not isinstance(message, Mapping):
                continue
            first_line = first_line or line_of(message)
            if str(message.get("type", "0")) not in ("0", "message"):
                rich += 1
                continue
            speech = message.get("speech")
            variants = [speech] if isinstance(speech, str) else list(speech or [])
            variants = [str(v).strip() for v in variants if str(v).strip()]
            if not variants:
                continue
            language = short_language(str(message.get("lang") or default_language))
            if fallback or language in target:
                extra += len(variants)
                continue
            target[language] = variants[0]
            extra += len(variants) - 1
    if fallback and extra:
        builder.skip(
            f"replies of fallback intent {intent!r} are not imported; set "
            "replies.fallback in aimass.yaml",
            file,
            first_line,
        )
    elif extra or rich:
        builder.skip(
            f"intent {intent!r}: the first text reply per language is imported; {extra} other "
            f"variant(s) and {rich} rich message(s) skipped",
            file,
            first_line,
        )


def _entity(builder: ContentBuilder, agent: _Agent, file: str, names: list[str]) -> None:
    data = agent.json(file)
    if not isinstance(data, Mapping) or not data.get("name"):
        return
    name = str(data["name"])
    if data.get("isRegexp"):
        builder.skip(f"regexp entity {name!r} is not imported", file, line_of(data))
        return
    stem = PurePosixPath(file).stem
    values: list[str] = []
    for entries_file in names:
        match = _ENTRIES.match(PurePosixPath(entries_file).name)
        if match is None or match.group("stem") != stem:
            continue
        entries = agent.json(entries_file)
        for item in entries if isinstance(entries, list) else []:
            if not isinstance(item, Mapping) or not item.get("value"):
                continue
            value = str(item["value"])
            values.append(value)
            builder.add_synonym(
                value,
                [str(s) for s in item.get("synonyms") or []],
                Source(file=entries_file, line=line_of(item)),
            )
    builder.add_lookup(name, values, Source(file=file, line=line_of(data)))

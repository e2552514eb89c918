"""Writing project content as a native project folder (``aimass.yaml`` + ``data/*.yaml``).

Used by ``aimass import`` and ``aimass init``. The folder appears complete or not at all: we
write into a hidden sibling folder and rename it into place, so an interrupted run never
leaves half a project that would later validate with confusing errors.

Output is deterministic (records in content order, keys in a fixed order, UTF-8 with the
characters themselves rather than escapes) so that a re-import diffs cleanly. Examples with
entities are written with inline annotations when that reads back exactly, else as
``{text, entities}``.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from aimass.config import ProjectConfig
from aimass.config.project import PROJECT_FILE, DataFiles
from aimass.data.annotations import format_annotated
from aimass.data.content import ProjectContent
from aimass.data.language import language_of
from aimass.errors import ProjectError
from aimass.schemas.project import Example, Faq, Intent, KbDocument

__all__ = ["dump_yaml", "write_project"]

_HEADER = "# AI Mass bot project: see docs/project-format.md\n"


def write_project(
    directory: str | Path,
    content: ProjectContent,
    name: str | None = None,
    *,
    config: ProjectConfig | None = None,
    languages: list[str] | None = None,
    description: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``content`` as a project folder at ``directory`` and return its path.

    ``config`` (by default a loaded ``BotProject``'s own) is kept except for ``data``, which
    lists the files written; without it a default config is made with ``name`` (default:
    the folder name), ``languages`` (default: those detected in the examples) and
    ``description``. A folder
    that exists and is not empty is refused (AM122) unless ``overwrite=True``, which replaces
    it entirely.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise ProjectError(f"{str(target)!r} exists and is not a folder", code="AM122")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ProjectError(
            f"{str(target)!r} is not empty",
            code="AM122",
            hint="choose a new folder, or overwrite (this replaces the folder's contents)",
        )
    own = getattr(content, "config", None)  # a loaded BotProject keeps its settings
    if config is None and isinstance(own, ProjectConfig):
        config = own
    files = _render(content)
    data = DataFiles(
        intents=["data/intents.yaml"] if "data/intents.yaml" in files else [],
        faq=["data/faq.yaml"] if "data/faq.yaml" in files else [],
        profile=["data/profile.yaml"] if "data/profile.yaml" in files else [],
        synonyms=["data/synonyms.yaml"] if "data/synonyms.yaml" in files else [],
        kb=["kb/"] if content.kb else [],
    )
    project_name = name or (config.name if config is not None else None) or _folder_name(target)
    if config is None:
        config = ProjectConfig(
            name=project_name,
            description=description,
            languages=languages or _languages(content),
        )
    else:
        update: dict[str, Any] = {"name": project_name}
        if languages:
            update["languages"] = languages
        if description is not None:
            update["description"] = description
        config = config.model_copy(update=update)
    config = config.model_copy(update={"data": data})
    files[PROJECT_FILE] = _HEADER + dump_yaml(_config_document(config))
    _write_atomically(target, files)
    return target


def dump_yaml(document: Any) -> str:
    """YAML as we write it: block style, keys in the given order, text as UTF-8."""
    return yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10_000,  # one example per line keeps line numbers in problems meaningful
        indent=2,
    )


class _Dumper(yaml.SafeDumper):
    """Indents lists under their key, and writes multi-line text as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _Flow(dict[str, Any]):
    """A mapping written on one line (entity spans: ``{start: 2, end: 4, entity: city}``)."""


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)


def _folder_name(target: Path) -> str:
    return target.resolve().name or "bot"


def _languages(content: ProjectContent) -> list[str]:
    texts = [text for text, _ in content.intent_examples()]
    texts += [q for q, _ in content.faq_pairs()]
    texts += [text for text, _ in content.profile_pairs()]
    found = {language_of(t) for t in texts}
    ordered: list[str] = [lang for lang in ("zh", "en") if lang in found]
    return ordered or ["zh", "en"]


def _config_document(config: ProjectConfig) -> dict[str, Any]:
    full = config.model_dump(mode="json")
    rest = config.model_dump(mode="json", exclude_defaults=True)
    document: dict[str, Any] = {"version": full["version"], "name": full["name"]}
    if full.get("description"):
        document["description"] = full["description"]
    document["languages"] = full["languages"]
    document["data"] = {k: v for k, v in full["data"].items() if v}
    for key, value in rest.items():
        if key not in document and key != "description":
            document[key] = value
    return document


def _render(content: ProjectContent) -> dict[str, str]:
    files: dict[str, str] = {}
    if content.intents:
        files["data/intents.yaml"] = dump_yaml({"intents": [_intent(i) for i in content.intents]})
    if content.faqs:
        files["data/faq.yaml"] = dump_yaml({"faqs": [_faq(f) for f in content.faqs]})
    if content.profile_tags or content.profile_examples:
        document: dict[str, Any] = {}
        if content.profile_tags:
            document["tags"] = [
                {"name": t.name, **({"description": t.description} if t.description else {})}
                for t in content.profile_tags
            ]
        if content.profile_examples:
            document["examples"] = [
                {"text": e.text, "tags": list(e.tags)} for e in content.profile_examples
            ]
        files["data/profile.yaml"] = dump_yaml(document)
    if content.synonyms or content.lookups:
        document = {}
        if content.synonyms:
            document["synonyms"] = [
                {"value": s.value, "aliases": list(s.aliases)} for s in content.synonyms
            ]
        if content.lookups:
            document["lookups"] = [
                {"name": lt.name, "elements": list(lt.elements)} for lt in content.lookups
            ]
        files["data/synonyms.yaml"] = dump_yaml(document)
    taken: set[str] = set()
    for doc in content.kb:
        path, text = _kb_file(doc, taken)
        files[path] = text
    return files


def _intent(intent: Intent) -> dict[str, Any]:
    document: dict[str, Any] = {"name": intent.name}
    if intent.description:
        document["description"] = intent.description
    if intent.responses:
        document["responses"] = dict(intent.responses)
    document["examples"] = [_example(e) for e in intent.examples]
    return document


def _example(example: Example) -> str | dict[str, Any]:
    inline = format_annotated(example.text, example.entities)
    if inline is not None:
        return inline
    entities = []
    for span in example.entities:
        entity = _Flow(
            start=span.start,
            end=span.end,
            entity=span.entity,
            value=span.value,
        )
        if span.role is not None:
            entity["role"] = span.role
        if span.normalized is not None:
            entity["normalized"] = span.normalized
        entities.append(entity)
    return {"text": example.text, "entities": entities}


def _faq(faq: Faq) -> dict[str, Any]:
    document: dict[str, Any] = {"id": faq.id}
    if faq.category:
        document["category"] = faq.category
    document["questions"] = list(faq.questions)
    if faq.answer:
        document["answer"] = faq.answer
    if faq.answers:
        document["answers"] = dict(faq.answers)
    return document


def _kb_file(doc: KbDocument, taken: set[str]) -> tuple[str, str]:
    """Where a KB document goes (under ``kb/``) and what is written there.

    Markdown and text are written as they were read; HTML and PDF were read as text, so they
    become Markdown with the title as the first heading.
    """
    relative = PurePosixPath(doc.path or doc.id)
    parts = [p for p in relative.parts if p not in ("", ".", "..", "/")]
    if parts and parts[0] == "kb":
        parts = parts[1:]
    relative = PurePosixPath(*parts) if parts else PurePosixPath(f"{doc.id or 'document'}.md")
    text = doc.text
    if doc.format not in ("md", "txt"):
        relative = relative.with_suffix(".md")
        text = f"# {doc.title}\n\n{text}"
    path, counter = f"kb/{relative}", 2
    while path in taken:
        path = f"kb/{relative.with_stem(f'{relative.stem}-{counter}')}"
        counter += 1
    taken.add(path)
    return path, text if text.endswith("\n") else text + "\n"


def _write_atomically(target: Path, files: dict[str, str]) -> None:
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        if target.exists():
            backup = parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            target.rename(backup)
            try:
                staging.rename(target)
            except BaseException:
                backup.rename(target)
                raise
            shutil.rmtree(backup, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

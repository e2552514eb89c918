"""Rasa NLU training data: Rasa 3 YAML, the older Markdown format, and Rasa JSON.

What maps:

* ``- intent: x`` with ``examples`` (a ``|`` block of ``- text`` lines, or a list of
  ``{text, metadata}``) -> an intent; inline ``[value](entity)`` annotations -> entity spans.
* ``out_of_scope`` / ``nlu_fallback`` -> the ``oos`` class (noted as AM121).
* retrieval intents ``faq/ask_x`` -> an FAQ (id ``faq/ask_x``, category ``faq``) whose answer is
  the first text of ``utter_faq/ask_x`` from ``responses`` in the training file, the other
  YAML files of its folder, or the ``domain.yml`` beside or above it.
* ``utter_<intent>`` responses -> that intent's ``responses["default"]``.
* ``- synonym:`` and annotations with a synonym value -> synonyms; ``- lookup:`` -> lookups.

What is skipped (AM202 notes): ``regex`` patterns, lookup tables given as a file path,
example/intent metadata, extra response variations and rich responses (buttons, images),
stories, rules, slots, forms and actions (dialogue management is not AI Mass's model).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from aimass.data.annotations import parse_annotated
from aimass.data.importers.base import (
    ContentBuilder,
    ImportResult,
    parse_json,
    parse_yaml,
    read_source,
    relative,
    short_language,
)
from aimass.data.importers.rasa_legacy import read_json, read_markdown
from aimass.data.names import OOS
from aimass.data.nodes import LDict, LStr, line_in, line_of
from aimass.errors import ImportFormatError
from aimass.schemas.project import EntitySpan, Source

__all__ = ["import_rasa", "is_rasa_file"]

_YAML = (".yml", ".yaml")
_SNIFF_BYTES = 20_000
_OOS_NAMES = ("out_of_scope", "nlu_fallback")
_IGNORED_KEYS = {"version", "nlu", "responses", "templates", "session_config", "e2e_actions"}
_DIALOGUE_KEYS = ("stories", "rules", "slots", "forms", "actions")


def is_rasa_file(path: Path) -> bool:
    """Cheap sniffing for ``import_any``: does this file look like Rasa training data?"""
    suffix = path.suffix.lower()
    if suffix not in (*_YAML, ".md", ".json"):
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    lines = head.split("\n")
    if suffix in _YAML:
        return any(line.startswith(("nlu:", "responses:", "stories:", "rules:")) for line in lines)
    if suffix == ".md":
        headers = ("## intent:", "## synonym:", "## lookup:", "## regex:")
        return any(line.lstrip().startswith(headers) for line in lines)
    return '"rasa_nlu_data"' in head


def import_rasa(path: str | Path) -> ImportResult:
    """Import a Rasa project folder, or one training file (YAML, Markdown or JSON)."""
    path = Path(path)
    if path.is_dir():
        root = path
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        response_files = [p for p in files if p.suffix.lower() in _YAML]
    elif path.is_file():
        root = path.parent
        files = [path]
        response_files = sorted(p for p in root.glob("*") if p.suffix.lower() in _YAML)
        response_files += [root.parent / f"domain{s}" for s in _YAML]
        response_files += sorted((root.parent / "domain").rglob("*.yml"))
    else:
        raise ImportFormatError(f"{str(path)!r} not found", code="AM200")
    reader = _RasaReader(root)
    for file in dict.fromkeys(response_files):
        if file.is_file():
            reader.collect_responses(file)
    for file in files:
        reader.read(file, explicit=path.is_file())
    project = root.resolve()
    return reader.finish(name=project.parent.name if project.name == "data" else project.name)


class _RasaReader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.builder = ContentBuilder("rasa")
        self.responses: dict[str, tuple[Any, str]] = {}  # utter name -> (variations, file)
        self.used: set[str] = set()
        self.trees: dict[Path, Any] = {}

    # -- files ----------------------------------------------------------------------------
    def _tree(self, path: Path) -> Any:
        if path not in self.trees:
            file = relative(path, self.root)
            self.trees[path] = parse_yaml(read_source(path, file), file)
        return self.trees[path]

    def collect_responses(self, path: Path) -> None:
        if not is_rasa_file(path):
            return
        tree = self._tree(path)
        if not isinstance(tree, LDict):
            return
        for key in ("responses", "templates"):
            section = tree.get(key)
            if isinstance(section, Mapping):
                for name, variations in section.items():
                    self.responses.setdefault(str(name), (variations, relative(path, self.root)))

    def read(self, path: Path, *, explicit: bool) -> None:
        suffix = path.suffix.lower()
        if not explicit and not is_rasa_file(path):
            return
        file = relative(path, self.root)
        if suffix in _YAML:
            self._read_yaml(path, file)
        elif suffix == ".md":
            read_markdown(self, read_source(path, file), file)
        elif suffix == ".json":
            read_json(self, parse_json(read_source(path, file), file), file)
        elif explicit:
            raise ImportFormatError(
                f"{file!r} is not Rasa training data (.yml, .md or .json)", code="AM200"
            )

    def _read_yaml(self, path: Path, file: str) -> None:
        tree = self._tree(path)
        if not isinstance(tree, LDict):
            raise ImportFormatError("expected a Rasa YAML mapping", code="AM201", file=file)
        present = [k for k in _DIALOGUE_KEYS if k in tree]
        if present:
            self.builder.skip(
                f"{', '.join(present)} (dialogue management) are not imported",
                file,
                line_in(tree, present[0]),
            )
        nlu = tree.get("nlu")
        if nlu is None:
            return
        if not isinstance(nlu, list):
            raise ImportFormatError("'nlu' must be a list", code="AM201", file=file)
        metadata_noted = False
        for index, item in enumerate(nlu):
            line = line_in(nlu, index)
            if not isinstance(item, Mapping):
                self.builder.malformed("an nlu entry must be a mapping", file, line)
                continue
            if "metadata" in item and not metadata_noted:
                metadata_noted = True
                self.builder.skip(
                    "intent/example metadata is not imported", file, line_in(item, "metadata", line)
                )
            examples = list(self._examples(item.get("examples"), file, line))
            if "intent" in item:
                self.add_intent(str(item["intent"]), examples, file, line)
            elif "synonym" in item:
                self.builder.add_synonym(
                    str(item["synonym"]), [t for t, _ in examples], Source(file=file, line=line)
                )
            elif "lookup" in item:
                self.builder.add_lookup(
                    str(item["lookup"]), [t for t, _ in examples], Source(file=file, line=line)
                )
            elif "regex" in item:
                self.builder.skip(f"regex {item['regex']!r} is not imported", file, line)
            else:
                self.builder.malformed(
                    "unknown nlu entry (not intent/synonym/lookup/regex)", file, line
                )

    def _examples(self, raw: Any, file: str, line: int | None) -> Iterator[tuple[str, int | None]]:
        if isinstance(raw, LStr):
            yield from block_examples(raw)
        elif isinstance(raw, list):
            for index, item in enumerate(raw):
                item_line = line_in(raw, index, line)
                if isinstance(item, Mapping) and isinstance(item.get("text"), str):
                    yield str(item["text"]).strip(), line_of(item["text"], item_line)
                elif isinstance(item, str):
                    yield item.strip(), item_line
                else:
                    self.builder.malformed(
                        "an example must be text or {text: ...}", file, item_line
                    )
        elif raw is not None:
            self.builder.malformed("'examples' must be a | block or a list", file, line)

    # -- mapping --------------------------------------------------------------------------
    def add_intent(
        self,
        name: str,
        examples: list[tuple[str, int | None]],
        file: str,
        line: int | None,
        spans: list[list[EntitySpan]] | None = None,
    ) -> None:
        """Add an intent (or, for ``faq/x``, an FAQ); ``spans`` given = texts are plain."""
        name = name.strip()
        source = Source(file=file, line=line)
        if "/" in name:
            self._add_faq(name, examples, file, source)
            return
        forced = None
        if name in _OOS_NAMES:
            forced = OOS
            self.builder.skip(
                f"intent {name!r} imported as the out-of-scope class 'oos'",
                file,
                line,
                code="AM121",
            )
        intent = self.builder.intent(name, source, name=forced)
        for index, (raw, example_line) in enumerate(examples):
            if spans is None:
                text, found = self.parse_example(raw, file, example_line)
            else:
                text, found = raw, spans[index]
            self.builder.add_example(intent, text, found, Source(file=file, line=example_line))
        reply = self._response(f"utter_{name}")
        if reply and "default" not in intent.responses:
            intent.responses["default"] = reply

    def _add_faq(
        self, name: str, examples: list[tuple[str, int | None]], file: str, source: Source
    ) -> None:
        faq = self.builder.faq(name, source, category=name.split("/", 1)[0])
        for raw, _ in examples:
            text = parse_annotated(raw)[0].strip()
            if text and text not in faq.questions:
                faq.questions.append(text)
        answer = self._response(f"utter_{name}")
        if answer:
            faq.answer = faq.answer or answer
        elif not faq.answer:
            self.builder.skip(
                f"no response utter_{name} found for retrieval intent {name!r}; its FAQ has "
                "no answer yet",
                file,
                source.line,
                hint="add the answer to data/faq.yaml, or import with domain.yml beside the data",
            )

    def parse_example(self, raw: str, file: str, line: int | None) -> tuple[str, list[EntitySpan]]:
        text, spans, errors = parse_annotated(raw)
        for error in errors:
            self.builder.skip(error, file, line, code="AM117")
        for span in spans:
            if span.normalized:
                self.builder.add_synonym(
                    span.normalized, [span.value], Source(file=file, line=line)
                )
        return text, spans

    def _response(self, name: str) -> str | None:
        found = self.responses.get(name)
        if found is None:
            return None
        self.used.add(name)
        variations, file = found
        texts = (
            [v for v in variations if isinstance(v, Mapping) and v.get("text")]
            if isinstance(variations, list)
            else []
        )
        if not texts:
            self.builder.skip(f"response {name!r} has no text variation", file, line_of(variations))
            return None
        first = texts[0]
        extra = [k for k in first if k not in ("text", "condition", "channel")]
        if len(variations) > 1 or extra:
            self.builder.skip(
                f"response {name!r}: only the first text is imported"
                + (f" ({', '.join(map(str, extra))} dropped)" if extra else "")
                + (
                    f"; {len(variations) - 1} other variation(s) skipped"
                    if len(variations) > 1
                    else ""
                ),
                file,
                line_of(first),
            )
        return str(first["text"]).strip()

    def languages(self) -> list[str]:
        """The ``language`` of the Rasa ``config.yml`` (beside the data or one folder up)."""
        for folder in (self.root, self.root.parent):
            path = folder / "config.yml"
            if path.is_file():
                tree = self._tree(path)
                if isinstance(tree, Mapping) and isinstance(tree.get("language"), str):
                    return [short_language(str(tree["language"]))]
        return []

    def finish(self, *, name: str) -> ImportResult:
        unused = sorted(set(self.responses) - self.used)
        if unused:
            shown = ", ".join(unused[:5]) + (", ..." if len(unused) > 5 else "")
            self.builder.skip(
                f"{len(unused)} response(s) not tied to an intent ({shown}) are used by "
                "stories/rules and were not imported"
            )
        return self.builder.result(name=name, languages=self.languages())


def block_examples(value: LStr) -> Iterator[tuple[str, int | None]]:
    """``- text`` lines of a ``|`` block, each with its own line in the file."""
    start = value.line
    if start is not None and value.style in ("|", ">"):
        start += 1
    for offset, raw in enumerate(str(value).split("\n")):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("-"):
            text = text[1:].strip()
        yield text, (start + offset if start is not None else None)

"""What every importer shares: the result type and a builder that maps names and spans.

An import never silently drops anything: whatever has no equivalent in AI Mass (regexes,
patterns, dialogue rules, rich responses) is listed in ``ImportResult.skipped`` as an AM202
warning with the file and line where possible; an intent renamed to fit our name rules is an
AM121 warning; an entity span that does not fit its text is an AM117 warning (the example is
kept without it). A source that cannot be read at all raises ``ImportFormatError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aimass.data.content import ProjectContent
from aimass.data.encoding import read_text
from aimass.data.jsonsrc import load_json
from aimass.data.names import OOS, intent_name_problem, sanitize_intent_name
from aimass.data.readers.examples import clean_text
from aimass.data.writer import write_project
from aimass.data.yamlsrc import load_yaml
from aimass.errors import ImportFormatError, Problem, Severity
from aimass.schemas.project import EntitySpan, Example, Faq, Intent, LookupTable, Source, Synonym

__all__ = [
    "ContentBuilder",
    "ImportResult",
    "parse_json",
    "parse_yaml",
    "read_source",
    "relative",
    "short_language",
    "utf16_to_index",
]


@dataclass
class ImportResult:
    """Content read from another tool's export, and what did not map."""

    format: str  # rasa | luis | clu | dialogflow | paddlenlp
    content: ProjectContent
    skipped: list[Problem] = field(default_factory=list)
    name: str | None = None  # the source's own project/agent name, if it has one
    languages: list[str] = field(default_factory=list)  # e.g. ["zh", "en"]
    description: str | None = None

    def summary(self) -> str:
        """One line for the CLI: what was imported and how much was skipped."""
        content = self.content
        examples = sum(len(i.examples) for i in content.intents)
        parts = [
            f"{len(content.intents)} intent(s) with {examples} example(s)",
            f"{len(content.faqs)} FAQ(s)",
            f"{len(content.synonyms)} synonym(s)",
            f"{len(content.lookups)} lookup table(s)",
        ]
        if content.profile_tags:
            parts.append(
                f"{len(content.profile_tags)} profile tag(s) with "
                f"{len(content.profile_examples)} example(s)"
            )
        return f"imported from {self.format}: {', '.join(parts)}; {len(self.skipped)} note(s)"

    def write(
        self, directory: str | Path, *, name: str | None = None, overwrite: bool = False
    ) -> Path:
        """Write the imported content as a project folder (see ``write_project``)."""
        return write_project(
            directory,
            self.content,
            name or self.name,
            languages=self.languages or None,
            description=self.description,
            overwrite=overwrite,
        )


def short_language(code: str) -> str:
    """``zh-CN`` -> ``zh``, ``en-us`` -> ``en`` (AI Mass keys replies by primary language)."""
    return code.replace("_", "-").split("-")[0].strip().lower()


def utf16_to_index(text: str, offset: int) -> int:
    """A UTF-16 code-unit offset (LUIS, CLU: .NET strings) as a Python character index.

    They differ only after characters outside the Basic Multilingual Plane (emoji, rare Han).
    """
    if offset <= 0 or all(ord(ch) < 0x10000 for ch in text):
        return offset
    units = 0
    for index, ch in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


class ContentBuilder:
    """Collects intents, FAQs and synonyms in first-seen order, noting what did not map."""

    def __init__(self, format: str) -> None:
        self.format = format
        self.intents: dict[str, Intent] = {}  # by AI Mass name
        self.faqs: dict[str, Faq] = {}
        self.synonyms: dict[str, Synonym] = {}
        self.lookups: dict[str, LookupTable] = {}
        self.skipped: list[Problem] = []
        self._names: dict[str, str] = {}  # source name -> AI Mass name
        self._renamed = 0

    # -- problems -------------------------------------------------------------------------
    def skip(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        *,
        code: str = "AM202",
        hint: str | None = None,
    ) -> None:
        self.skipped.append(
            Problem(code, message, file=file, line=line, hint=hint, severity=Severity.WARNING)
        )

    def malformed(self, message: str, file: str | None = None, line: int | None = None) -> None:
        """Part of the source is broken; it is left out and the import goes on."""
        self.skip(message, file, line, code="AM201")

    # -- intents --------------------------------------------------------------------------
    def intent_name(
        self, source_name: str, file: str | None = None, line: int | None = None
    ) -> str:
        """The AI Mass name for a source intent name (renamed, with a note, if not allowed)."""
        if source_name in self._names:
            return self._names[source_name]
        name = source_name.strip()
        if name != OOS and intent_name_problem(name) is not None:
            self._renamed += 1
            new = sanitize_intent_name(name, set(self._names.values()), self._renamed)
            self.skip(
                f"intent {source_name!r} renamed to {new!r} (intent names use "
                "A-Z a-z 0-9 _ . / -); the original name is kept as its description",
                file,
                line,
                code="AM121",
            )
            name = new
        self._names[source_name] = name
        return name

    def intent(
        self,
        source_name: str,
        source: Source | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Intent:
        """Get or create an intent; ``name`` forces the AI Mass name (e.g. ``oos``)."""
        file, line = (source.file, source.line) if source is not None else (None, None)
        target = name or self.intent_name(source_name, file, line)
        if name is not None:
            self._names.setdefault(source_name, name)
        intent = self.intents.get(target)
        if intent is None:
            if description is None and target not in (source_name, OOS):
                description = source_name
            intent = Intent(name=target, description=description, source=source)
            self.intents[target] = intent
        return intent

    def add_example(
        self,
        intent: Intent,
        text: str,
        entities: list[EntitySpan] | None = None,
        source: Source | None = None,
    ) -> None:
        cleaned, shift = clean_text(text)
        if not cleaned:
            self.skip(
                f"an empty example of {intent.name!r} was left out",
                source.file if source else None,
                source.line if source else None,
                code="AM113",
            )
            return
        spans = []
        for span in entities or []:
            moved = span.model_copy(update={"start": span.start - shift, "end": span.end - shift})
            if 0 <= moved.start < moved.end <= len(cleaned) and (
                cleaned[moved.start : moved.end] == moved.value
            ):
                spans.append(moved)
        intent.examples.append(Example(text=cleaned, entities=spans, source=source))

    def span(
        self,
        text: str,
        start: int,
        end: int,
        entity: str,
        *,
        role: str | None = None,
        normalized: str | None = None,
        source: Source | None = None,
    ) -> EntitySpan | None:
        """A span over ``text[start:end]``; out of range is an AM117 note and ``None``."""
        if not 0 <= start < end <= len(text):
            self.skip(
                f"entity {entity!r} at {start}..{end} is outside the text {text!r}; left out",
                source.file if source else None,
                source.line if source else None,
                code="AM117",
            )
            return None
        value = text[start:end]
        return EntitySpan(
            start=start,
            end=end,
            entity=entity,
            value=value,
            role=role or None,
            normalized=normalized if normalized and normalized != value else None,
        )

    # -- FAQs, synonyms, lookups ----------------------------------------------------------
    def faq(self, faq_id: str, source: Source | None = None, category: str | None = None) -> Faq:
        faq = self.faqs.get(faq_id)
        if faq is None:
            faq = self.faqs[faq_id] = Faq(id=faq_id, category=category, source=source)
        return faq

    def add_synonym(self, value: str, aliases: list[str], source: Source | None = None) -> None:
        value = value.strip()
        if not value:
            return
        synonym = self.synonyms.setdefault(value, Synonym(value=value, source=source))
        for alias in aliases:
            alias = alias.strip()
            if alias and alias != value and alias not in synonym.aliases:
                synonym.aliases.append(alias)

    def add_lookup(self, name: str, elements: list[str], source: Source | None = None) -> None:
        table = self.lookups.setdefault(name, LookupTable(name=name, source=source))
        for element in elements:
            element = element.strip()
            if element and element not in table.elements:
                table.elements.append(element)

    # -- result ---------------------------------------------------------------------------
    def result(
        self,
        *,
        name: str | None = None,
        languages: list[str] | None = None,
        description: str | None = None,
        allow_empty: bool = False,
    ) -> ImportResult:
        """The import result; intents and FAQs without examples are noted and left out."""
        intents = []
        for intent in self.intents.values():
            if intent.examples:
                intents.append(intent)
            elif intent.name != OOS:  # an empty none/fallback class is normal everywhere
                where = intent.source
                self.skip(
                    f"intent {intent.name!r} has no examples; not imported",
                    where.file if where else None,
                    where.line if where else None,
                )
        synonyms = [s for s in self.synonyms.values() if s.aliases]
        lookups = [t for t in self.lookups.values() if t.elements]
        content = ProjectContent(
            intents=intents,
            faqs=list(self.faqs.values()),
            synonyms=synonyms,
            lookups=lookups,
        )
        if not intents and not content.faqs and not allow_empty:
            raise ImportFormatError(
                f"the {self.format} source holds no intents with examples and no FAQs",
                code="AM201",
                hint="check that this is the training-data export (not e.g. a config file)",
            )
        return ImportResult(
            format=self.format,
            content=content,
            skipped=self.skipped,
            name=name,
            languages=languages or [],
            description=description,
        )


def relative(path: Path, root: Path) -> str:
    """``path`` relative to the import source (its folder, or the file's folder)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def read_source(path: Path, file: str) -> str:
    """A source file's text; a missing or non-UTF-8 file raises (AM200 / AM101)."""
    if not path.is_file():
        raise ImportFormatError(f"{file!r} not found", code="AM200", file=file)
    text, problems = read_text(path, file)
    if text is None:
        raise _error(problems[0])
    return text


def parse_json(text: str, file: str) -> Any:
    """Line-aware JSON; invalid JSON raises AM201 with the line."""
    value, problems = load_json(text, file)
    if problems:
        raise _error(problems[0], code="AM201")
    return value


def parse_yaml(text: str, file: str) -> Any:
    """Line-aware YAML (scalars kept as written); invalid YAML raises AM201 with the line."""
    value, problems = load_yaml(text, file)
    if problems:
        raise _error(problems[0], code="AM201")
    return value


def _error(problem: Problem, code: str | None = None) -> ImportFormatError:
    return ImportFormatError(
        problem.message,
        code=code or problem.code,
        hint=problem.hint,
        file=problem.file,
        line=problem.line,
    )

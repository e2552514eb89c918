"""A bot project on disk: load it, validate it, hand it to the trainer.

``validate_project`` lists every problem (never raises for bad data); ``load_project`` returns
a ``BotProject`` or, in strict mode, raises ``ValidationFailed`` carrying all the errors.
Warnings never block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aimass.config import ProjectConfig
from aimass.config.project import PROJECT_FILE
from aimass.data.checks import check_content
from aimass.data.configfile import data_entries, read_config
from aimass.data.content import ProjectContent
from aimass.data.language import Language, language_of
from aimass.data.nodes import LDict
from aimass.data.readers import (
    DATA_SUFFIXES,
    KB_SUFFIXES,
    collect_files,
    merge_intents,
    read_faqs,
    read_intents,
    read_kb_document,
    read_profile,
    read_synonyms,
    relpath,
)
from aimass.errors import MissingDependency, Problem, Severity, ValidationFailed

__all__ = ["BotProject", "load_project", "validate_project"]


@dataclass(kw_only=True)
class BotProject(ProjectContent):
    """A loaded project: its folder, its config, its content, and what validation found."""

    root: Path
    config: ProjectConfig
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def language_of(self, text: str) -> Language:
        """The text's language; a one-language project answers in its language regardless."""
        detected = language_of(text, default=self._default_language())
        languages = self.config.languages
        if detected not in languages and len(languages) == 1 and languages[0] in ("zh", "en"):
            return languages[0]  # type: ignore[return-value]
        return detected

    def _default_language(self) -> Language:
        first = self.config.languages[0] if self.config.languages else "en"
        return "zh" if first == "zh" else "en"


def validate_project(path: str | Path) -> list[Problem]:
    """Every problem of the project at ``path`` (errors and warnings), sorted by file and line.

    A missing optional dependency for a knowledge-base file is listed as AM900 rather than
    raised, so the rest of the report is still shown.
    """
    _, problems, _ = _load(Path(path))
    return problems


def load_project(path: str | Path, *, strict: bool = True) -> BotProject:
    """Load the project at ``path`` (its folder or its ``aimass.yaml``).

    ``strict=True`` raises ``ValidationFailed`` (with every problem) when there is any error;
    ``strict=False`` returns what could be read, with the problems in ``project.problems``.
    It raises in either mode when there is no project to return (no folder, no usable
    ``aimass.yaml``) and ``MissingDependency`` when a KB file needs an extra that is missing.
    """
    project, problems, missing = _load(Path(path))
    if missing is not None:
        raise missing
    if project is None:
        raise ValidationFailed(problems)
    if strict and project.errors:
        raise ValidationFailed(problems)
    return project


def _load(path: Path) -> tuple[BotProject | None, list[Problem], MissingDependency | None]:
    root = path.parent if path.is_file() and path.name == PROJECT_FILE else path
    if root.is_file():
        return None, [_not_found(f"{str(path)!r} is a file, not a project folder", str(path))], None
    if not root.is_dir():
        return None, [_not_found(f"project folder {str(path)!r} not found", str(path))], None
    if not (root / PROJECT_FILE).is_file():
        return None, [_not_found(f"{PROJECT_FILE} not found in {str(root)!r}", str(root))], None
    config, raw, problems = read_config(root)
    if config is None:
        return None, _sorted(problems), None
    project = BotProject(root=root, config=config)
    missing = _read_content(project, raw, problems)
    project.intents, merge_problems = merge_intents(project.intents)
    problems += merge_problems
    project.profile_tags = list({t.name: t for t in reversed(project.profile_tags)}.values())[::-1]
    problems += check_content(project, min_examples=config.min_examples_per_intent)
    problems += _policy_problems(project)
    project.problems = _sorted(problems)
    return project, project.problems, missing


def _read_content(
    project: BotProject, raw: LDict | None, problems: list[Problem]
) -> MissingDependency | None:
    root, config = project.root, project.config

    def files(kind: str, suffixes: dict[str, str]) -> list[Path]:
        entries = data_entries(config, raw, kind)
        found, found_problems = collect_files(root, entries, suffixes)
        problems.extend(found_problems)
        return found

    for file in files("intents", DATA_SUFFIXES):
        intents, file_problems = read_intents(file, root)
        project.intents.extend(intents)
        problems.extend(file_problems)
    for file in files("faq", DATA_SUFFIXES):
        faqs, file_problems = read_faqs(file, root)
        project.faqs.extend(faqs)
        problems.extend(file_problems)
    for file in files("profile", DATA_SUFFIXES):
        tags, examples, file_problems = read_profile(file, root)
        project.profile_tags.extend(tags)
        project.profile_examples.extend(examples)
        problems.extend(file_problems)
    for file in files("synonyms", DATA_SUFFIXES):
        synonyms, lookups, file_problems = read_synonyms(file, root)
        project.synonyms.extend(synonyms)
        project.lookups.extend(lookups)
        problems.extend(file_problems)
    missing: MissingDependency | None = None
    for file in files("kb", KB_SUFFIXES):
        try:
            document, file_problems = read_kb_document(file, root)
        except MissingDependency as err:
            missing = missing or err
            problems.append(Problem(err.code, err.message, file=relpath(file, root), hint=err.hint))
            continue
        problems.extend(file_problems)
        if document is not None:
            project.kb.append(document)
    return missing


def _policy_problems(project: BotProject) -> list[Problem]:
    """The project's policy.yaml is part of it: `aimass validate` reports its problems too."""
    from aimass.policy.load import POLICY_FILE, read_policy

    path = project.root / POLICY_FILE
    if not path.is_file():
        return []
    _, problems = read_policy(path)
    return problems


def _not_found(message: str, file: str) -> Problem:
    return Problem(
        "AM100",
        message,
        file=file,
        hint="pass the folder that holds aimass.yaml, or create one with `aimass init DIR`",
    )


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file is None, p.file or "", p.line or 0))

"""Checks on project content that no single file can see (AM105-AM121).

They run on ``ProjectContent`` whatever its origin: a loaded project (``validate_project``) or
an import before it is written. Problems point at the record's ``Source``.

Decisions (see docs/project-format.md):

* Duplicates are compared after NFKC, case folding and whitespace collapsing: ``"Hi  there"``
  and ``"ｈｉ there"`` are the same message to a customer and to the model.
* The same text under two intents (AM106) is an error: the model cannot learn both. The same
  holds for one question under two FAQs. A repeat within one intent or FAQ is only a warning
  (AM120): it over-weights the example but teaches nothing wrong.
* AM110 (a declared tag no example uses) is a warning; but once the project has profile
  examples, every declared tag needs at least ``MIN_TAG_EXAMPLES`` positive examples (AM112,
  an error), so an unused tag then also blocks training — the tag head cannot learn a tag it
  never sees.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from aimass.data.content import ProjectContent
from aimass.data.names import OOS, intent_name_problem
from aimass.errors import Problem, Severity
from aimass.schemas.project import Example, Faq, Intent, ProfileExample, ProfileTag, Source

__all__ = ["MAX_TEXT_LENGTH", "MIN_TAG_EXAMPLES", "check_content", "dedup_key"]

MAX_TEXT_LENGTH = 2000
MIN_TAG_EXAMPLES = 3
_SPACES = re.compile(r"\s+")


def dedup_key(text: str) -> str:
    """The form two texts share when they are "the same example"."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def check_content(content: ProjectContent, *, min_examples: int = 5) -> list[Problem]:
    problems: list[Problem] = []
    problems += _check_intents(content.intents, min_examples)
    problems += _check_faqs(content.faqs)
    problems += _check_profile(content.profile_tags, content.profile_examples)
    trainable = any(i.examples for i in content.intents if i.name != OOS)
    if not trainable and not any(f.questions for f in content.faqs):
        problems.append(
            Problem(
                "AM118",
                "the project has nothing to train on: no intent with examples and no FAQ "
                "with questions",
                hint="add intents (data/intents.yaml) or FAQs (data/faq.yaml) and list the "
                "files under `data:` in aimass.yaml",
            )
        )
    return problems


def _problem(
    code: str,
    message: str,
    source: Source | None,
    *,
    hint: str | None = None,
    severity: Severity = Severity.ERROR,
) -> Problem:
    file = source.file if source is not None else None
    line = source.line if source is not None else None
    return Problem(code, message, file=file, line=line, hint=hint, severity=severity)


def _text_problems(text: str, source: Source | None, what: str) -> list[Problem]:
    if not text.strip():
        return [_problem("AM113", f"{what} text is empty", source)]
    if len(text) > MAX_TEXT_LENGTH:
        return [
            _problem(
                "AM114",
                f"{what} is {len(text)} characters long (more than {MAX_TEXT_LENGTH})",
                hint="split it, or move long content to the knowledge base (kb/)",
                source=source,
            )
        ]
    return []


def _span_problems(example: Example) -> list[Problem]:
    problems = []
    for span in example.entities:
        if not (span.start < span.end <= len(example.text)) or (
            example.text[span.start : span.end] != span.value
        ):
            problems.append(
                _problem(
                    "AM117",
                    f"entity {span.entity!r} ({span.start}..{span.end}, {span.value!r}) does "
                    "not match the example text",
                    source=example.source,
                )
            )
    return problems


def _check_intents(intents: list[Intent], min_examples: int) -> list[Problem]:
    problems: list[Problem] = []
    owner: dict[str, tuple[str, Source | None]] = {}  # dedup key -> first intent, where
    for intent in intents:
        reason = intent_name_problem(intent.name)
        if reason is not None:
            problems.append(
                _problem(
                    "AM121",
                    reason,
                    hint=f"use letters, digits and _ . / - ; {OOS!r} is the out-of-scope class",
                    source=intent.source,
                )
            )
        if not intent.examples:
            problems.append(
                _problem(
                    "AM105",
                    f"intent {intent.name!r} has no examples",
                    hint="add examples of what customers say, or remove the intent",
                    source=intent.source,
                )
            )
            continue
        seen: dict[str, Source | None] = {}
        for example in intent.examples:
            what = f"an example of {intent.name!r}"
            problems += _text_problems(example.text, example.source, what)
            problems += _span_problems(example)
            key = dedup_key(example.text)
            if key in seen:
                problems.append(
                    _problem(
                        "AM120",
                        f"{example.text!r} appears twice under {intent.name!r} (first at "
                        f"{seen[key]})",
                        severity=Severity.WARNING,
                        hint="remove the repeat",
                        source=example.source,
                    )
                )
                continue
            seen[key] = example.source
            first = owner.get(key)
            if first is None:
                owner[key] = (intent.name, example.source)
            elif first[0] != intent.name:
                problems.append(
                    _problem(
                        "AM106",
                        f"{example.text!r} is an example of {intent.name!r} here and of "
                        f"{first[0]!r} at {first[1]}",
                        hint="keep it under the one intent it belongs to",
                        source=example.source,
                    )
                )
        if len(seen) < min_examples:
            problems.append(
                _problem(
                    "AM112",
                    f"intent {intent.name!r} has {len(seen)} distinct example(s); at least "
                    f"{min_examples} are needed",
                    hint="add examples, or lower min_examples_per_intent in aimass.yaml",
                    source=intent.source,
                )
            )
    return problems


def _check_faqs(faqs: list[Faq]) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, Source | None] = {}
    owner: dict[str, tuple[str, Source | None]] = {}
    for faq in faqs:
        if faq.id in ids:
            problems.append(
                _problem(
                    "AM109",
                    f"FAQ id {faq.id!r} is used twice (first at {ids[faq.id]})",
                    hint="give each FAQ its own id",
                    source=faq.source,
                )
            )
        else:
            ids[faq.id] = faq.source
        if not faq.questions:
            problems.append(_problem("AM107", f"FAQ {faq.id!r} has no question", faq.source))
        if not faq.answer.strip() and not any(a.strip() for a in faq.answers.values()):
            problems.append(
                _problem(
                    "AM108",
                    f"FAQ {faq.id!r} has no answer",
                    hint="add `answer:` (or `answers:` by language)",
                    source=faq.source,
                )
            )
        seen: set[str] = set()
        for question in faq.questions:
            problems += _text_problems(question, faq.source, f"a question of FAQ {faq.id!r}")
            key = dedup_key(question)
            if key in seen:
                problems.append(
                    _problem(
                        "AM120",
                        f"FAQ {faq.id!r} lists {question!r} twice",
                        severity=Severity.WARNING,
                        source=faq.source,
                    )
                )
                continue
            seen.add(key)
            first = owner.setdefault(key, (faq.id, faq.source))
            if first[0] != faq.id:
                problems.append(
                    _problem(
                        "AM106",
                        f"question {question!r} is under FAQ {faq.id!r} here and under "
                        f"FAQ {first[0]!r} at {first[1]}",
                        hint="keep it under the one FAQ that answers it",
                        source=faq.source,
                    )
                )
    return problems


def _check_profile(tags: list[ProfileTag], examples: list[ProfileExample]) -> list[Problem]:
    problems: list[Problem] = []
    declared = {tag.name for tag in tags}
    counts: Counter[str] = Counter()
    for example in examples:
        problems += _text_problems(example.text, example.source, "a profile example")
        for name in example.tags:
            counts[name] += 1
            if name not in declared:
                problems.append(
                    _problem(
                        "AM111",
                        f"profile example uses tag {name!r}, which is not declared",
                        hint="declare it under `tags:` in a profile YAML file, or fix the name",
                        source=example.source,
                    )
                )
    for tag in tags:
        if counts[tag.name] == 0:
            problems.append(
                _problem(
                    "AM110",
                    f"profile tag {tag.name!r} is declared but no example uses it",
                    severity=Severity.WARNING,
                    hint="tag some examples with it, or remove the declaration",
                    source=tag.source,
                )
            )
        if examples and counts[tag.name] < MIN_TAG_EXAMPLES:
            problems.append(
                _problem(
                    "AM112",
                    f"profile tag {tag.name!r} has {counts[tag.name]} example(s); at least "
                    f"{MIN_TAG_EXAMPLES} are needed",
                    hint="tag more examples with it, or remove the tag",
                    source=tag.source,
                )
            )
    return problems

"""The content of a bot project: intents, FAQs, knowledge-base documents, profile tags.

Readers (``aimass.data.readers``) and importers (``aimass.data.importers``) produce these;
the validator, the trainer and the runtime consume them. Every record keeps its ``Source``
(file and line) so a problem can be reported where the user can fix it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Record):
    """Where a record came from: a path relative to the project root and a 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class EntitySpan(_Record):
    """An annotated entity inside an example: ``text[start:end] == value`` (character offsets).

    Kept in the data model for the entity head that a later issue adds; readers and importers
    already fill it (Rasa ``[value](entity)``, LUIS/CLU ``startPos``/``endPos``, Dialogflow parts).
    """

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    entity: str
    value: str
    role: str | None = None
    normalized: str | None = None  # the synonym's canonical value, when one maps


class Example(_Record):
    text: str
    entities: list[EntitySpan] = Field(default_factory=list)
    source: Source | None = None


class Intent(_Record):
    """An intent with its training examples and, optionally, what the bot replies.

    ``responses`` maps a language code (``zh``, ``en``) or ``default`` to a reply text.
    A retrieval intent (Rasa ``faq/ask_x`` style) is imported as an FAQ instead.
    """

    name: str
    examples: list[Example] = Field(default_factory=list)
    description: str | None = None
    responses: dict[str, str] = Field(default_factory=dict)
    source: Source | None = None


class Faq(_Record):
    """One FAQ entry: several ways of asking, one answer (optionally one per language)."""

    id: str
    questions: list[str] = Field(default_factory=list)
    answer: str = ""
    answers: dict[str, str] = Field(default_factory=dict)  # language -> answer, optional
    category: str | None = None
    source: Source | None = None

    def answer_for(self, language: str | None) -> str:
        if language and language in self.answers:
            return self.answers[language]
        return self.answer or next(iter(self.answers.values()), "")


class KbDocument(_Record):
    """A knowledge-base document as read from disk (the retrieval layer splits it into passages)."""

    id: str
    title: str
    text: str
    format: str  # md | txt | html | pdf | docx
    path: str  # relative to the project root
    language: str | None = None


class ProfileTag(_Record):
    """A customer trait the team cares about (新客, VIP, 价格敏感, 投诉风险, ...)."""

    name: str
    description: str | None = None
    source: Source | None = None


class ProfileExample(_Record):
    """A user message labelled with the profile tags it shows (possibly none)."""

    text: str
    tags: list[str] = Field(default_factory=list)
    source: Source | None = None


class Synonym(_Record):
    """Entity synonyms: every alias normalises to ``value``."""

    value: str
    aliases: list[str] = Field(default_factory=list)
    source: Source | None = None


class LookupTable(_Record):
    """Entity lookup list (Rasa lookup tables, Dialogflow entity entries, LUIS list entities)."""

    name: str
    elements: list[str] = Field(default_factory=list)
    source: Source | None = None

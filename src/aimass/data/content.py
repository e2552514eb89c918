"""The content of a bot project, independent of where it came from.

Readers fill it from a project folder, importers from another tool's export; the writer
writes it out and the checks in ``aimass.data.checks`` look at it the same way in both cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aimass.data.names import OOS
from aimass.schemas.project import (
    Faq,
    Intent,
    KbDocument,
    LookupTable,
    ProfileExample,
    ProfileTag,
    Synonym,
)

__all__ = ["ProjectContent"]


@dataclass(kw_only=True)
class ProjectContent:
    intents: list[Intent] = field(default_factory=list)
    faqs: list[Faq] = field(default_factory=list)
    kb: list[KbDocument] = field(default_factory=list)
    profile_tags: list[ProfileTag] = field(default_factory=list)
    profile_examples: list[ProfileExample] = field(default_factory=list)
    synonyms: list[Synonym] = field(default_factory=list)
    lookups: list[LookupTable] = field(default_factory=list)

    def intent_examples(self, *, include_oos: bool = True) -> list[tuple[str, str]]:
        """``(text, intent)`` for every intent example, in file order.

        Out-of-scope examples carry the intent ``"oos"``; pass ``include_oos=False`` to leave
        them out (e.g. for in-scope accuracy).
        """
        return [
            (example.text, intent.name)
            for intent in self.intents
            if include_oos or intent.name != OOS
            for example in intent.examples
        ]

    def faq_pairs(self) -> list[tuple[str, str]]:
        """``(question, faq id)`` for every question of every FAQ."""
        return [(question, faq.id) for faq in self.faqs for question in faq.questions]

    def profile_pairs(self) -> list[tuple[str, list[str]]]:
        """``(text, tags)`` for every profile example (an empty list is a negative example)."""
        return [(example.text, list(example.tags)) for example in self.profile_examples]

    def intent_names(self) -> list[str]:
        return [intent.name for intent in self.intents]

    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.profile_tags]

    def is_empty(self) -> bool:
        return not (
            self.intents
            or self.faqs
            or self.kb
            or self.profile_tags
            or self.profile_examples
            or self.synonyms
            or self.lookups
        )

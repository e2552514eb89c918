"""Typed records shared by the readers, the trainer, the runtime, the CLI and the service."""

from __future__ import annotations

from aimass.schemas.project import (
    EntitySpan,
    Example,
    Faq,
    Intent,
    KbDocument,
    LookupTable,
    ProfileExample,
    ProfileTag,
    Source,
    Synonym,
)
from aimass.schemas.response import (
    Decision,
    DecisionKind,
    FaqChoice,
    FaqMatch,
    Highlight,
    IntentScore,
    KbMatch,
    Response,
    TagScore,
    TraceStep,
)

__all__ = [
    "Decision",
    "DecisionKind",
    "EntitySpan",
    "Example",
    "Faq",
    "FaqChoice",
    "FaqMatch",
    "Highlight",
    "Intent",
    "IntentScore",
    "KbDocument",
    "KbMatch",
    "LookupTable",
    "ProfileExample",
    "ProfileTag",
    "Response",
    "Source",
    "Synonym",
    "TagScore",
    "TraceStep",
]

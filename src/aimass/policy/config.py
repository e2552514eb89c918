"""``policy.yaml``: the schema of a bot's rules (validated, ``extra="forbid"``).

A policy is an ordered list of rules. Each rule has an ``id`` (what a response's trace and
``decided_by`` name) and a ``type``; rules run in the order written and the first one that
decides ends the evaluation. The default decision rule (``type: confidence``: answer when
confident, clarify when the top two are close, hand off when unsure) is always the last step,
added automatically when the file does not list it.

Each rule may carry inline ``tests``: messages that must (``fires: true``, the default) or must
not make it fire; ``aimass policy check`` runs them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BlockedRule",
    "ConfidenceRule",
    "EscalateRule",
    "Match",
    "PinnedRule",
    "PolicyConfig",
    "RedactRule",
    "Rule",
    "RuleTest",
    "SemanticMatch",
    "SensitiveRule",
]

POLICY_FILE = "policy.yaml"
POLICY_FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleTest(_Strict):
    """An inline test: this message makes the rule fire (or, with ``fires: false``, not)."""

    text: str
    fires: bool = True
    tags: list[str] = Field(default_factory=list)  # profile tags the customer is known to have


class SemanticMatch(_Strict):
    """Fires when the message's embedding is close to one of the example phrasings."""

    examples: list[str] = Field(min_length=1)
    # Cosine similarity (of the model's L2-normalised embeddings) needed to match.
    threshold: float = Field(default=0.85, ge=-1, le=1)


class Match(_Strict):
    """How a pinned answer or a blocked topic recognises a message; any one part matching is
    enough. Everything is compared with the normalised message (NFKC, lower case, simplified
    Chinese), and the lists and patterns are normalised the same way."""

    # The whole message equals one of these (ignoring surrounding spaces and end punctuation).
    exact: list[str] = Field(default_factory=list)
    # The message contains one of these (English keywords only at word boundaries).
    keywords: list[str] = Field(default_factory=list)
    # A Python regular expression found anywhere in the message (case-insensitive).
    regex: list[str] = Field(default_factory=list)
    semantic: SemanticMatch | None = None


Replies = dict[str, str]  # by language: zh, en, or default
PiiKind = Literal["mobile", "id_card", "bank_card", "email"]
_ALL_PII: tuple[PiiKind, ...] = ("mobile", "id_card", "bank_card", "email")


class _Rule(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str | None = None
    tests: list[RuleTest] = Field(default_factory=list)


class PinnedRule(_Rule):
    """A fixed answer for a recognised question (e.g. service hours)."""

    type: Literal["pinned"]
    match: Match
    reply: Replies


class BlockedRule(_Rule):
    """A topic the bot must not answer (medical or legal advice, competitors' prices)."""

    type: Literal["blocked"]
    match: Match
    reply: Replies


class SensitiveRule(_Rule):
    """Sensitive words (profanity, abuse, forbidden terms) in Chinese and English.

    ``words`` by language (any key; all lists are merged), ``files`` of one word per line
    (``#`` comments), relative to ``policy.yaml``. ``action``: ``refuse`` answers with
    ``reply``; ``handoff`` passes the conversation to a person; ``mask`` replaces the words
    with ``*`` in the stored text and lets the following rules decide.
    """

    type: Literal["sensitive"]
    words: dict[str, list[str]] = Field(default_factory=dict)
    files: list[str] = Field(default_factory=list)
    action: Literal["refuse", "handoff", "mask"] = "refuse"
    reply: Replies = Field(default_factory=dict)


class RedactRule(_Rule):
    """Mask personal data in what is stored and shown (the trace lists the kinds found)."""

    type: Literal["redact"]
    kinds: list[PiiKind] = Field(default_factory=lambda: list(_ALL_PII))
    mask: str = "[{KIND}]"  # {kind} / {KIND}: the kind's name


class EscalateRule(_Rule):
    """Hand the conversation to a person.

    ``when: request``: an explicit request for a person (built-in Chinese and English phrases,
    plus ``phrases``). ``when: low_confidence``: ``turns`` low-confidence turns in a row in one
    session. ``when: tag``: the customer has one of ``tags`` (predicted for this message with
    at least ``min_confidence``, or remembered for the session). ``queue`` names where the
    conversation goes (the decision's source is ``handoff:<queue>``).
    """

    type: Literal["escalate"]
    # (not `on`: YAML 1.1 reads a bare `on` key as the boolean true)
    when: Literal["request", "low_confidence", "tag"]
    phrases: list[str] = Field(default_factory=list)
    turns: int = Field(default=3, ge=1)
    tags: list[str] = Field(default_factory=list)
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    queue: str = "agents"
    # Only hand off when the model is unsure of this message (a VIP whose question the bot can
    # answer gets the answer; one it can't goes straight to the VIP queue, no three strikes).
    only_when_unsure: bool = False
    reply: Replies = Field(default_factory=dict)  # default: the project's handoff reply


class ConfidenceRule(_Rule):
    """The default decision rule (``aimass.runtime.decide``); always the last step."""

    type: Literal["confidence"]


Rule = Annotated[
    PinnedRule | BlockedRule | SensitiveRule | RedactRule | EscalateRule | ConfidenceRule,
    Field(discriminator="type"),
]


class PolicyConfig(_Strict):
    version: int = POLICY_FORMAT_VERSION
    rules: list[Rule] = Field(default_factory=list)

"""``aimass.yaml``: what a bot project is made of and how it behaves."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from aimass.config.training import TrainConfig

PROJECT_FILE = "aimass.yaml"
PROJECT_FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataFiles(_Strict):
    """Files or folders (relative to the project root) for each kind of content.

    Each entry may be a file (``.yaml``/``.yml``, ``.csv``, ``.jsonl``/``.json``) or a folder,
    read recursively. Knowledge-base entries accept ``.md``, ``.txt``, ``.html``, ``.pdf``.
    """

    intents: list[str] = Field(default_factory=list)
    faq: list[str] = Field(default_factory=list)
    profile: list[str] = Field(default_factory=list)
    kb: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list)


class Thresholds(_Strict):
    """The simple decision rule of the runtime (the trust issue replaces it with a policy).

    Confidences are probabilities (softmax for intents; a calibrated score for FAQs).
    """

    # Answer from an FAQ when its confidence reaches this.
    faq: float = Field(default=0.5, ge=0, le=1)
    # Answer from an intent's response when its confidence reaches this.
    intent: float = Field(default=0.5, ge=0, le=1)
    # An FAQ this sure is answered even when the intent model calls the message out of scope.
    faq_override: float = Field(default=0.9, ge=0, le=1)
    # Below this top-intent confidence (and no FAQ) the message is out of scope.
    oos: float = Field(default=0.3, ge=0, le=1)
    # Clarify when the best two candidates are closer than this.
    ambiguity_margin: float = Field(default=0.1, ge=0, le=1)
    # Report a profile tag when its probability reaches this.
    tag: float = Field(default=0.5, ge=0, le=1)


class Replies(_Strict):
    """Fixed replies by language (``zh``, ``en``, or ``default``)."""

    fallback: dict[str, str] = Field(
        default_factory=lambda: {
            "zh": "抱歉，这个问题我还不会回答。您可以换个说法，或输入“人工”联系客服。",
            "en": "Sorry, I can't answer that yet. Try rephrasing, or type 'agent' to reach a person.",
        }
    )
    handoff: dict[str, str] = Field(
        default_factory=lambda: {
            "zh": "好的，正在为您转接人工客服，请稍候。",
            "en": "Sure, I'm connecting you to a human agent now.",
        }
    )
    clarify: dict[str, str] = Field(
        default_factory=lambda: {
            "zh": "您想问的是以下哪一个？",
            "en": "Which of these did you mean?",
        }
    )


class ProjectConfig(_Strict):
    version: int = PROJECT_FORMAT_VERSION
    name: str
    description: str | None = None
    languages: list[str] = Field(default_factory=lambda: ["zh", "en"])
    data: DataFiles = Field(default_factory=DataFiles)
    training: TrainConfig = Field(default_factory=TrainConfig)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    replies: Replies = Field(default_factory=Replies)
    # Intents whose recognition means "the customer wants a person".
    handoff_intents: list[str] = Field(default_factory=lambda: ["human_agent"])
    # Intents with too few examples cannot be trained and selected on reliably.
    min_examples_per_intent: int = Field(default=5, ge=1)

"""What an augmenter is, how augmenters are registered, and how each draws its randomness.

An augmenter is a small object with a ``name``, the ``languages`` it applies to and
``__call__(text, rng) -> list[str]``: zero or more rewrites of ``text`` meant to keep its
intent. It returns only texts that differ from the input; an augmenter that cannot change a
text (no synonym in it, no full-width character to narrow) returns ``[]`` rather than the text
itself, so nothing unchanged is ever counted as augmented. (The exception is ``llm``: a
generative model's copies of the input are passed on, so that the label filter rejects them as
unchanged and counts them in the share it reports.)

Augmenters are registered by name in ``AUGMENTERS`` as factories taking an
``AugmentContext`` (the project's lookup tables and synonyms, an optional embedding source),
because some need data from the project to be built. Same name, same behaviour: a changed
behaviour gets a new name. (A plain dict, not ``aimass.registry.Registry``: an unknown name
here is a typo on the command line, AM540, not an artifact from a newer AI Mass, AM401.)

An augmenter that works better on all examples at once (one backed by a remote model) may
also have ``prepare(targets, examples, seed)``, which the pipeline calls first with the
``(text, intent)`` pairs to augment and every example, and ``stats()``, which goes into the
report.

Randomness is always a ``random.Random`` seeded from ``(seed, augmenter name, text)`` through
a stable hash (``rng_for``), so an example's augmentations do not depend on which other
examples were augmented before it, nor on ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aimass.errors import TrainingError

__all__ = [
    "AUGMENTERS",
    "DEFAULT_AUGMENTERS",
    "AugmentContext",
    "Augmenter",
    "build_augmenters",
    "register",
    "rng_for",
]

LANGUAGES = frozenset({"zh", "en"})


class Augmenter(Protocol):
    name: str
    languages: frozenset[str]

    def __call__(self, text: str, rng: random.Random) -> list[str]: ...


@dataclass
class AugmentContext:
    """What a factory may use to build its augmenter.

    ``slot_values`` maps a slot (a lookup table's name, or a synonym's canonical value) to
    interchangeable values; ``word_vectors`` is an optional ``(words, unit vectors)`` pair for
    nearest-neighbour substitution (e.g. the backbone's own token embeddings).
    """

    slot_values: dict[str, list[str]] = field(default_factory=dict)
    word_vectors: tuple[list[str], object] | None = None
    # an aimass.generative.ChatEndpoint for the ``llm`` augmenter, and its settings
    generator: Any = None
    generator_options: dict[str, Any] = field(default_factory=dict)


Factory = Callable[[AugmentContext], Augmenter]

AUGMENTERS: dict[str, Factory] = {}

# Applied when none is named: everything that needs no project data or model extras.
DEFAULT_AUGMENTERS: tuple[str, ...] = (
    "synonym",
    "eda_swap",
    "eda_insert",
    "eda_delete",
    "homophone",
    "shape",
    "keyboard",
    "traditional",
    "slot_swap",
)


def register(name: str) -> Callable[[Factory], Factory]:
    def deco(factory: Factory) -> Factory:
        if name in AUGMENTERS:
            raise ValueError(f"augmenter {name!r} is already registered")
        AUGMENTERS[name] = factory
        return factory

    return deco


def build_augmenters(
    names: Sequence[str], context: AugmentContext | None = None
) -> list[Augmenter]:
    """The augmenters called ``names``, in that order; an unknown name is AM540."""
    from aimass.augment import _load_all

    _load_all()
    context = context or AugmentContext()
    unknown = [n for n in names if n not in AUGMENTERS]
    if unknown:
        raise TrainingError(
            f"unknown augmenter(s): {', '.join(unknown)}",
            code="AM540",
            hint=f"choose from: {', '.join(sorted(AUGMENTERS))}",
        )
    if not names:
        raise TrainingError(
            "no augmenter was named", code="AM541", hint="e.g. --augmenters synonym"
        )
    return [AUGMENTERS[n](context) for n in dict.fromkeys(names)]


def rng_for(seed: int, name: str, text: str, index: int = 0) -> random.Random:
    """A generator that depends only on its arguments (sha256, not ``hash``)."""
    digest = hashlib.sha256(f"{seed}\x00{name}\x00{index}\x00{text}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))

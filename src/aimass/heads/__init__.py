"""Trainable heads on the shared encoder.

Each head takes the encoder's pooled sentence vectors ``(B, H)`` and is registered under a
versioned name, so an artifact's ``heads.json`` rebuilds exactly the head it was saved with.

- ``intent.v1``   IntentHead    single-label classification (``oos`` may be one of the labels)
- ``profile.v1``  ProfileHead   multi-label tagging (sigmoid per tag)
- ``matching.v1`` MatchingHead  bi-encoder embeddings trained contrastively (FAQ/KB retrieval)
- ``pair.v1``     PairHead      cross-encoder: is sentence pair (a, b) the same question?
- ``pair-bi.v1``  BiPairHead    the same question by the cosine of two embeddings (CoSENT)
"""

from __future__ import annotations

from aimass.heads.base import HEADS, Head, build_head
from aimass.heads.intent import IntentHead
from aimass.heads.matching import MatchingHead
from aimass.heads.pair import PairHead
from aimass.heads.pair_bi import BiPairHead
from aimass.heads.profile import ProfileHead

__all__ = [
    "HEADS",
    "BiPairHead",
    "Head",
    "IntentHead",
    "MatchingHead",
    "PairHead",
    "ProfileHead",
    "build_head",
]

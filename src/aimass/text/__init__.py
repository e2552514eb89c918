"""The text layer: normalisation with offsets, Chinese/English analysis, match highlighting.

Used by retrieval (BM25 terms), augmentation, explanations and policy so that all of them
agree on what a term is. Importing this package is cheap: jieba, OpenCC and the stemmer load
on first use.

Note: ``aimass.text.normalize`` and ``aimass.text.analyze`` are both modules and the
functions exported here; import the functions from the package (``from aimass.text import
normalize``) or from the module (``from aimass.text.normalize import normalize``).
"""

from __future__ import annotations

from aimass.text.analyze import Analyzer, Token, analyze, default_analyzer, terms
from aimass.text.normalize import NormalizedText, normalize
from aimass.text.spans import matching_spans, merge_spans

__all__ = [
    "Analyzer",
    "NormalizedText",
    "Token",
    "analyze",
    "default_analyzer",
    "matching_spans",
    "merge_spans",
    "normalize",
    "terms",
]

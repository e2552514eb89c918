"""Explanations: why the assistant read a message the way it did.

- ``units``: the word spans an explanation talks about (the text layer's segmentation, with
  offsets into the original message, so highlights land on the right Chinese characters);
- ``occlusion``: delete each word and re-score through the predictor (model-agnostic: the
  ONNX-served model too);
- ``gradients``: integrated gradients on the input embeddings (captum; the torch model);
- ``explainer``: the full ``Explanation`` record (attributions, runner-up and why it lost,
  nearest training examples, FAQ/KB word matches).

Importing this package is cheap; torch and captum load inside the functions that need them.
"""

from __future__ import annotations

from aimass.explain.explainer import METHODS, explain
from aimass.explain.occlusion import delete_spans, occlusion
from aimass.explain.units import word_spans

__all__ = ["METHODS", "delete_spans", "explain", "occlusion", "word_spans"]

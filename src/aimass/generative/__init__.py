"""Large generative models, joined through an OpenAI-compatible API.

    ChatEndpoint(url, model)   # POST {url}/chat/completions, retries, coded errors

Used by the ``llm`` augmenter (:mod:`aimass.augment.generative`) to rewrite training
examples; the rewrites go through the same label filter as every other augmenter's.
"""

from __future__ import annotations

from aimass.generative.client import DEFAULT_KEY_ENV, ChatEndpoint

__all__ = ["DEFAULT_KEY_ENV", "ChatEndpoint"]

"""``llm``: rewrites written by a large generative model behind an OpenAI-compatible endpoint.

The rule-based augmenters move words and characters; a large model can say the same request
the way another customer would (the rewrites behind the published few-shot gains come from
models of billions of parameters). Each example is sent with its intent's name and a few of
its sibling examples, in its own language (a Chinese prompt for Chinese text), and the model
is asked for ``k`` rewrites, one per line. The replies are only *candidates*: like every other
augmenter's, they go through the label filter, which counts and rejects what changed intent,
lost confidence, repeats training data or came back unchanged.

Requests run concurrently (``concurrency``) before the pipeline asks for the rewrites of each
example (``prepare``). A request that still fails after the endpoint's retries costs that
example its rewrites and is counted in ``stats``; more than ``max_failed_share`` of them
failing stops the run (AM554), and so does any failure that retrying cannot mend (no server,
refused key, unknown model: AM551-AM553), before anything is written.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from aimass.augment.base import AugmentContext, register, rng_for
from aimass.data.language import language_of
from aimass.errors import TrainingError

__all__ = ["LlmRewriter", "parse_rewrites", "rewrite_prompt"]

log = logging.getLogger(__name__)

_SYSTEM = {
    "en": (
        "You rewrite messages that customers send to a support chat. Each rewrite must ask for"
        " exactly what the original asks for, so that support would handle it the same way,"
        " but in other words, as another customer might write it: vary the wording, word order,"
        " length and tone; keep names, products, numbers and amounts. Reply with the rewrites"
        " only, one per line, without numbering, quotes or comments."
    ),
    "zh": (
        "你负责改写客户发给客服的消息。每条改写的诉求必须和原消息完全相同（客服会同样处理），"
        "但要换一种说法，像另一位客户会写的那样：变换用词、语序、长短和语气；保留名称、商品、"
        "数字和金额。只输出改写，每行一条，不要编号、引号或解释。"
    ),
}
_USER = {
    "en": "The message is about: {intent}\nOther messages about it:\n{siblings}\n\n"
    "Write {k} different rewrites of this message:\n{text}",
    "zh": "这条消息的意图：{intent}\n同一意图的其他消息：\n{siblings}\n\n"
    "请给出 {k} 条不同的改写：\n{text}",
}
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_BULLET = re.compile(r"^\s*(?:[-*•·]+|\(?\d{1,2}\s*[.)、:：]|\d{1,2}\s+[-–])\s*")
_TAG = re.compile(r"^(?:rewrite|paraphrase|version|option|改写|说法)\s*\d*\s*[:：]\s*", re.I)
_QUOTES = "\"'“”‘’「」『』`"


def _intent_words(intent: str) -> str:
    return intent.replace("_", " ").strip()


def rewrite_prompt(text: str, intent: str, siblings: Sequence[str], k: int) -> list[dict[str, str]]:
    """The chat messages asking for ``k`` rewrites of ``text``, in the text's language."""
    lang = language_of(text)
    listed = "\n".join(f"- {s}" for s in siblings) or "-"
    user = _USER[lang].format(intent=_intent_words(intent), siblings=listed, k=k, text=text)
    return [{"role": "system", "content": _SYSTEM[lang]}, {"role": "user", "content": user}]


def parse_rewrites(reply: str, source: str, k: int) -> list[str]:
    """Up to ``k`` rewrites from a reply: one per line, numbering, labels, quotes and reasoning
    blocks removed, header lines ("Here are three rewrites:") and runaway lines dropped.
    Copies and repeats are left in: the label filter rejects and counts them."""
    out: list[str] = []
    limit = max(4 * len(source), len(source) + 80)
    for line in _THINK.sub("", reply).splitlines():
        s = _TAG.sub("", _BULLET.sub("", line).strip()).strip().strip(_QUOTES).strip()
        if not s or s.endswith((":", "：")) or len(s) > limit:
            continue
        out.append(s)
        if len(out) == k:
            break
    return out


class LlmRewriter:
    name = "llm"
    languages = frozenset({"zh", "en"})

    def __init__(
        self,
        endpoint: Any,  # aimass.generative.ChatEndpoint (or anything with .chat(messages, ...))
        *,
        k: int = 3,
        siblings: int = 3,
        temperature: float = 0.8,
        concurrency: int = 4,
        max_failed_share: float = 0.5,
    ) -> None:
        if concurrency < 1 or k < 1:
            raise TrainingError(
                f"--generator-concurrency ({concurrency}) and the rewrites asked per example"
                f" ({k}) must be at least 1",
                code="AM550",
                hint="e.g. --generator-concurrency 4",
            )
        self.endpoint = endpoint
        self.k = k
        self.siblings = siblings
        self.temperature = temperature
        self.concurrency = concurrency
        self.max_failed_share = max_failed_share
        self._cache: dict[str, list[str]] = {}
        self.failed: set[str] = set()
        self.asked = 0
        self._lock = threading.Lock()

    # -- the pipeline's hooks
    def prepare(
        self, targets: Sequence[tuple[str, str]], examples: Sequence[tuple[str, str]], seed: int
    ) -> None:
        """Ask for the rewrites of every target example at once (``concurrency`` in flight)."""
        by_intent: dict[str, list[str]] = {}
        for text, intent in examples:
            by_intent.setdefault(intent, []).append(text)
        jobs: dict[str, tuple[str, list[str], int]] = {}
        for index, (text, intent) in enumerate(targets):
            if text in self._cache or text in jobs:
                continue
            rng = rng_for(seed, self.name, text, index)
            others = [t for t in by_intent.get(intent, []) if t != text]
            picked = rng.sample(others, min(self.siblings, len(others)))
            jobs[text] = (intent, picked, rng.randrange(2**31))
        if not jobs:
            return
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = {pool.submit(self._ask, text, *job): text for text, job in jobs.items()}
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for f in pending:
                f.cancel()
            for f in done:
                f.result()  # a failure retrying cannot mend (AM551-AM553) stops the run here
        self._check_failures(len(jobs))

    def __call__(self, text: str, rng: random.Random) -> list[str]:
        if text not in self._cache and text not in self.failed:  # not prepared: no context
            self._ask(text, "", [], rng.randrange(2**31))
        return list(self._cache.get(text, []))

    def stats(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "failed": len(self.failed),
            "endpoint": self.endpoint.describe() if hasattr(self.endpoint, "describe") else None,
        }

    # -- work
    def _ask(self, text: str, intent: str, siblings: list[str], seed: int) -> None:
        with self._lock:
            self.asked += 1
        if language_of(text) not in self.languages or not text.strip():
            self._cache[text] = []
            return
        messages = rewrite_prompt(text, intent or "-", siblings, self.k)
        try:
            reply = self.endpoint.chat(
                messages,
                temperature=self.temperature,
                max_tokens=min(1024, 64 + self.k * (len(text) + 40)),
                seed=seed,
            )
        except TrainingError as e:
            if e.code != "AM554":
                raise
            log.warning("no rewrites for %r: %s", text[:60], e.message)
            with self._lock:
                self.failed.add(text)
            return
        self._cache[text] = parse_rewrites(reply, text, self.k)

    def _check_failures(self, asked: int) -> None:
        if not self.failed:
            return
        share = len(self.failed) / max(asked, 1)
        if share > self.max_failed_share:
            raise TrainingError(
                f"the generative model failed on {len(self.failed)} of {asked} examples"
                f" ({share:.0%}); nothing was written",
                code="AM554",
                hint="check the endpoint's health and logs, or lower --generator-concurrency",
            )
        log.warning(
            "the generative model failed on %d of %d examples; they got no llm rewrites",
            len(self.failed),
            asked,
        )


@register("llm")
def _llm(context: AugmentContext) -> LlmRewriter:
    if context.generator is None:
        raise TrainingError(
            "the llm augmenter needs a generative model endpoint",
            code="AM550",
            hint="pass --generator-url URL --generator-model NAME (an OpenAI-compatible API)",
        )
    return LlmRewriter(context.generator, **context.generator_options)

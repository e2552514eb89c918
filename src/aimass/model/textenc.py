"""Turning texts into model inputs: the backbone's prefixes, truncation, dynamic padding."""

from __future__ import annotations

from typing import Any, Literal

import torch

Kind = Literal["query", "passage"]


class TextEncoder:
    """Wraps a fast tokenizer with the backbone's conventions.

    E5 models were trained with ``"query: "`` / ``"passage: "`` prefixes; dropping them
    costs accuracy, so every door (training, evaluation, serving) encodes through here.
    """

    def __init__(
        self,
        tokenizer: Any,
        *,
        query_prefix: str = "",
        passage_prefix: str = "",
        max_length: int = 64,
        max_pair_length: int = 96,
    ) -> None:
        self.tokenizer = tokenizer
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.max_length = max_length
        self.max_pair_length = max_pair_length

    def prefixed(self, texts: list[str], kind: Kind = "query") -> list[str]:
        prefix = self.query_prefix if kind == "query" else self.passage_prefix
        return [prefix + t for t in texts]

    def __call__(
        self, texts: list[str], kind: Kind = "query", max_length: int | None = None
    ) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(
            self.prefixed(texts, kind),
            padding=True,
            truncation=True,
            max_length=max_length or self.max_length,
            return_tensors="pt",
        )
        return {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask")}

    def pairs(self, a: list[str], b: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(
            self.prefixed(a),
            self.prefixed(b),
            padding=True,
            truncation="longest_first",
            max_length=self.max_pair_length,
            return_tensors="pt",
        )
        return {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask")}

    def lengths(self, texts: list[str], kind: Kind = "query") -> list[int]:
        """Token counts (with specials, before truncation): for length-bucketed batching."""
        enc = self.tokenizer(self.prefixed(texts, kind), add_special_tokens=True)
        return [len(ids) for ids in enc["input_ids"]]

"""Intent experts fused with the fine-tuned transformer: a product of experts.

The served intent distribution is

    p(intent | text) ∝ exp((log p_nn + Σ_k w_k · log p_k) / T)

where ``p_nn`` is the fine-tuned transformer's head and each ``p_k`` a cheap expert that sees
the message differently; the weights ``w_k`` and the temperature ``T`` are fitted on dev
(a weight stays 0 when its expert does not help there). Experts:

- ``lexical`` (``char-ngram-logreg.v1``): character n-grams + logistic regression. Customer
  messages are short and full of names and fixed phrases ("花呗", "PayPal") whose surface form
  is the strongest cue; caught from few examples in Chinese and English alike.
- ``use`` (``frozen-encoder-logreg.v1``): logistic regression on the frozen multilingual
  Universal Sentence Encoder (not a transformer, 512-d, ~1 ms a message in numpy): a second
  opinion from a model trained on other data, whose mistakes differ from the transformer's.
  ``minilm`` is the same on English all-MiniLM-L6-v2 (numpy, ~4 ms a message), fitted only
  for English bots (the trainer skips it when the training messages are not ~all English).

They are also the "teachers of different kinds" the compression step distils from. Served
with numpy only; stored as JSON + safetensors, never pickled.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from aimass.errors import ArtifactError
from aimass.model.logreg import fit_logreg, log_softmax

NGRAMS = (1, 3)


def fuse(
    nn_logits: np.ndarray, experts: list[tuple[float, np.ndarray]], temperature: float
) -> np.ndarray:
    """Fused, calibrated probabilities ``(N, C)``; with no expert weight, softmax(nn / T)."""
    z = log_softmax(nn_logits.astype(np.float64))
    for weight, logits in experts:
        if weight:
            z = z + weight * log_softmax(logits.astype(np.float64))
    return np.exp(log_softmax(z / temperature))


def to_label_order(
    logits: np.ndarray, expert_labels: Sequence[str], labels: Sequence[str]
) -> np.ndarray:
    """An expert's logits with their columns in ``labels`` order; a label the expert lacks
    gets a prohibitive logit (-30)."""
    col = {lab: i for i, lab in enumerate(expert_labels)}
    out = np.full((logits.shape[0], len(labels)), -30.0)
    for j, lab in enumerate(labels):
        if lab in col:
            out[:, j] = logits[:, col[lab]]
    return out


class Expert(Protocol):
    kind: ClassVar[str]
    labels: list[str]

    def logits(self, texts: list[str]) -> np.ndarray: ...  # (N, C)

    def save(self, folder: Path) -> None: ...


# ------------------------------------------------------------------ shared fitting


def _targets(labels: list[str], order: list[str]) -> tuple[np.ndarray, list[int]]:
    index = {lab: i for i, lab in enumerate(order)}
    keep = [i for i, lab in enumerate(labels) if lab in index]
    return np.array([index[labels[i]] for i in keep], dtype=np.int64), keep


# ------------------------------------------------------------------ lexical


def char_ngrams(text: str, n_min: int = NGRAMS[0], n_max: int = NGRAMS[1]) -> list[str]:
    """Character n-grams within space-padded words of the NFKC-normalised, case-folded text
    (Chinese, written without spaces, yields n-grams across the whole run of characters)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for word in text.split():
        w = f" {word} "
        for n in range(n_min, n_max + 1):
            out.extend(w[i : i + n] for i in range(len(w) - n + 1))
    return out


@dataclass
class LexicalExpert:
    kind: ClassVar[str] = "char-ngram-logreg.v1"
    labels: list[str]
    vocab: dict[str, int]
    idf: np.ndarray  # (V,)
    coef: np.ndarray  # (C, V)
    intercept: np.ndarray  # (C,)
    c: float

    def features(self, texts: list[str]) -> Any:
        """Sublinear TF x IDF, L2-normalised rows, as a scipy CSR matrix ``(N, V)``."""
        from scipy.sparse import csr_matrix

        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for i, text in enumerate(texts):
            counts = Counter(g for g in char_ngrams(text) if g in self.vocab)
            if not counts:
                continue
            idx = np.fromiter((self.vocab[g] for g in counts), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            v = tf * self.idf[idx]
            v /= max(float(np.linalg.norm(v)), 1e-12)
            rows.extend([i] * len(idx))
            cols.extend(idx.tolist())
            vals.extend(v.tolist())
        return csr_matrix(
            (vals, (rows, cols)), shape=(len(texts), len(self.vocab)), dtype=np.float64
        )

    def logits(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.features(texts) @ self.coef.T) + self.intercept  # (N, C)

    @classmethod
    def fit(
        cls,
        texts: list[str],
        labels: list[str],
        label_order: list[str],
        dev_texts: list[str],
        dev_labels: list[str],
        min_df: int = 2,
    ) -> LexicalExpert:
        df: Counter[str] = Counter()
        for t in texts:
            df.update(set(char_ngrams(t)))
        kept = sorted(g for g, n in df.items() if n >= min_df) or sorted(df)
        n = len(texts)
        idf = np.array([math.log((1 + n) / (1 + df[g])) + 1.0 for g in kept])
        model = cls(
            list(label_order),
            {g: i for i, g in enumerate(kept)},
            idf,
            np.zeros(0),
            np.zeros(0),
            0.0,
        )
        y, _ = _targets(labels, label_order)
        y_dev, keep = _targets(dev_labels, label_order)
        x_dev = model.features([dev_texts[i] for i in keep])
        model.coef, model.intercept, model.c = fit_logreg(
            model.features(texts), y, x_dev, y_dev, len(label_order), (4.0, 16.0, 64.0)
        )
        return model

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        meta = {
            "type": self.kind,
            "ngrams": list(NGRAMS),
            "labels": self.labels,
            "c": self.c,
            "vocab": vocab,
        }
        (folder / "expert.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        arrays = {"idf": self.idf, "coef": self.coef, "intercept": self.intercept}
        save_file(
            {k: v.astype(np.float32) for k, v in arrays.items()}, str(folder / "expert.safetensors")
        )

    @classmethod
    def load(
        cls, folder: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> LexicalExpert:
        vocab = {g: i for i, g in enumerate(meta["vocab"])}
        return cls(
            meta["labels"],
            vocab,
            arrays["idf"],
            arrays["coef"],
            arrays["intercept"],
            float(meta["c"]),
        )


# ------------------------------------------------------------------ frozen encoder


@dataclass
class FrozenEncoderExpert:
    kind: ClassVar[str] = "frozen-encoder-logreg.v1"
    labels: list[str]
    encoder_name: str  # a name of aimass.encoders.frozen (e.g. "use")
    mean: np.ndarray  # (D,) standardisation of the encoder's vectors
    scale: np.ndarray  # (D,)
    coef: np.ndarray  # (C, D)
    intercept: np.ndarray  # (C,)
    c: float
    _encoder: Any = None

    def encode(self, texts: list[str]) -> np.ndarray:
        if self._encoder is None:
            from aimass.encoders.frozen import get_frozen_encoder

            self._encoder = get_frozen_encoder(self.encoder_name)
        return (self._encoder.encode(texts) - self.mean) / self.scale

    def logits(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts) @ self.coef.T + self.intercept

    @classmethod
    def fit(
        cls,
        encoder_name: str,
        texts: list[str],
        labels: list[str],
        label_order: list[str],
        dev_texts: list[str],
        dev_labels: list[str],
    ) -> FrozenEncoderExpert:
        model = cls(
            list(label_order), encoder_name, np.zeros(1), np.ones(1), np.zeros(0), np.zeros(0), 0.0
        )
        from aimass.encoders.frozen import get_frozen_encoder

        model._encoder = get_frozen_encoder(encoder_name)
        raw = model._encoder.encode(texts)
        model.mean, model.scale = raw.mean(0), raw.std(0) + 1e-6
        y, _ = _targets(labels, label_order)
        y_dev, keep = _targets(dev_labels, label_order)
        x_dev = model.encode([dev_texts[i] for i in keep]) if keep else np.zeros((0, raw.shape[1]))
        model.coef, model.intercept, model.c = fit_logreg(
            (raw - model.mean) / model.scale,
            y,
            x_dev,
            y_dev,
            len(label_order),
            (0.01, 0.03, 0.1, 0.3),
        )
        return model

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        meta = {"type": self.kind, "encoder": self.encoder_name, "labels": self.labels, "c": self.c}
        (folder / "expert.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        arrays = {
            "mean": self.mean,
            "scale": self.scale,
            "coef": self.coef,
            "intercept": self.intercept,
        }
        save_file(
            {k: v.astype(np.float32) for k, v in arrays.items()}, str(folder / "expert.safetensors")
        )

    @classmethod
    def load(
        cls, folder: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> FrozenEncoderExpert:
        return cls(
            meta["labels"],
            meta["encoder"],
            arrays["mean"],
            arrays["scale"],
            arrays["coef"],
            arrays["intercept"],
            float(meta["c"]),
        )


EXPERT_TYPES: dict[str, Any] = {
    LexicalExpert.kind: LexicalExpert,
    FrozenEncoderExpert.kind: FrozenEncoderExpert,
}


def fit_expert(
    name: str,
    texts: list[str],
    labels: list[str],
    order: list[str],
    dev_texts: list[str],
    dev_labels: list[str],
) -> Expert:
    if name == "lexical":
        return LexicalExpert.fit(texts, labels, order, dev_texts, dev_labels)
    return FrozenEncoderExpert.fit(name, texts, labels, order, dev_texts, dev_labels)


def load_expert(folder: Path) -> Expert:
    from safetensors.numpy import load_file

    try:
        meta = json.loads((folder / "expert.json").read_text(encoding="utf-8"))
        arrays = {
            k: v.astype(np.float64)
            for k, v in load_file(str(folder / "expert.safetensors")).items()
        }
    except (OSError, ValueError) as e:
        raise ArtifactError(
            f"intent expert {folder.name} cannot be read: {e}", code="AM402", file=str(folder)
        ) from None
    cls = EXPERT_TYPES.get(meta.get("type"))
    if cls is None:
        raise ArtifactError(
            f"unknown intent expert type {meta.get('type')!r}", code="AM401", hint="upgrade aimass"
        )
    return cls.load(folder, meta, arrays)  # type: ignore[no-any-return]

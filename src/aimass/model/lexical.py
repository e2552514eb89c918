"""A lexical intent classifier fused with the transformer: character n-grams + logistic
regression, the "lexical and semantic combined" of the product.

Why: customer messages are short and full of product names, app names and fixed phrases
("花呗", "退款", "PayPal") whose surface form is the strongest cue; a character n-gram
model catches them from few examples in Chinese and English alike, and its mistakes differ
from the transformer's. The two are combined as a product of experts,

    p(intent | text) ∝ exp((log p_nn + w · log p_lex) / T),

with the weight ``w`` and the temperature ``T`` fitted on dev (``w = 0`` when the lexical
model does not help there). Served with numpy only: the vocabulary and weights are stored as
JSON + safetensors, never pickled, and the analyzer below is the one used when fitting.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NGRAMS = (1, 3)


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


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def fuse(
    nn_logits: np.ndarray, lex_logits: np.ndarray | None, weight: float, temperature: float
) -> np.ndarray:
    """Fused, calibrated probabilities ``(N, C)``; with no lexical part, softmax(nn / T)."""
    z = _log_softmax(nn_logits.astype(np.float64))
    if lex_logits is not None and weight:
        z = z + weight * _log_softmax(lex_logits.astype(np.float64))
    return np.exp(_log_softmax(z / temperature))


@dataclass
class LexicalClassifier:
    labels: list[str]
    vocab: dict[str, int]
    idf: np.ndarray  # (V,)
    coef: np.ndarray  # (C, V)
    intercept: np.ndarray  # (C,)
    c: float

    # ------------------------------------------------------------ features

    def features(self, texts: list[str]) -> object:
        """Sublinear TF x IDF, L2-normalised rows, as a scipy CSR matrix ``(N, V)``."""
        from scipy.sparse import csr_matrix

        rows, cols, vals = [], [], []
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
        x = self.features(texts)
        return np.asarray(x @ self.coef.T) + self.intercept  # (N, C)

    # ------------------------------------------------------------ fitting

    @classmethod
    def fit(
        cls,
        texts: list[str],
        labels: list[str],
        label_order: list[str],
        dev_texts: list[str],
        dev_labels: list[str],
        cs: tuple[float, ...] = (4.0, 16.0, 64.0),
        min_df: int = 2,
    ) -> LexicalClassifier:
        """Fit on train; choose the regularisation ``C`` by dev log-loss."""
        from sklearn.linear_model import LogisticRegression

        df: Counter[str] = Counter()
        for t in texts:
            df.update(set(char_ngrams(t)))
        kept = sorted(g for g, n in df.items() if n >= min_df) or sorted(df)
        vocab = {g: i for i, g in enumerate(kept)}
        n = len(texts)
        idf = np.array([math.log((1 + n) / (1 + df[g])) + 1.0 for g in kept])
        empty = cls(
            list(label_order),
            vocab,
            idf,
            np.zeros((len(label_order), len(vocab))),
            np.zeros(len(label_order)),
            0.0,
        )
        x = empty.features(texts)
        x_dev = empty.features(dev_texts) if dev_texts else None
        index = {lab: i for i, lab in enumerate(label_order)}
        y = np.array([index[lab] for lab in labels])
        best: tuple[float, LexicalClassifier] | None = None
        for c in cs:
            lr = LogisticRegression(C=c, max_iter=300, tol=1e-3)
            lr.fit(x, y)
            coef = np.zeros((len(label_order), len(vocab)))
            intercept = np.full(len(label_order), -30.0)  # classes absent from train: never
            if len(lr.classes_) > 2:
                coef[lr.classes_] = lr.coef_
                intercept[lr.classes_] = lr.intercept_
            else:  # sklearn keeps one row for two classes: class 0 gets logit 0
                coef[lr.classes_[1]] = lr.coef_[0]
                intercept[lr.classes_] = [0.0, lr.intercept_[0]]
            model = cls(list(label_order), vocab, idf, coef, intercept, c)
            if x_dev is None:
                return model
            keep = [i for i, lab in enumerate(dev_labels) if lab in index]
            logp = _log_softmax(model.logits([dev_texts[i] for i in keep]))
            nll = float(-np.mean(logp[np.arange(len(keep)), [index[dev_labels[i]] for i in keep]]))
            if best is None or nll < best[0]:
                best = (nll, model)
        assert best is not None
        return best[1]

    # ------------------------------------------------------------ persistence

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "lexical.json").write_text(
            json.dumps(
                {
                    "type": "char-ngram-logreg.v1",
                    "ngrams": list(NGRAMS),
                    "labels": self.labels,
                    "c": self.c,
                    "vocab": vocab,
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        save_file(
            {
                "idf": self.idf.astype(np.float32),
                "coef": self.coef.astype(np.float32),
                "intercept": self.intercept.astype(np.float32),
            },
            str(folder / "lexical.safetensors"),
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalClassifier:
        from safetensors.numpy import load_file

        meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
        if meta.get("type") != "char-ngram-logreg.v1":
            from aimass.errors import ArtifactError

            raise ArtifactError(f"unknown lexical model type {meta.get('type')!r}", code="AM401")
        arrays = load_file(str(folder / "lexical.safetensors"))
        vocab = {g: i for i, g in enumerate(meta["vocab"])}
        return cls(
            meta["labels"],
            vocab,
            arrays["idf"].astype(np.float64),
            arrays["coef"].astype(np.float64),
            arrays["intercept"].astype(np.float64),
            float(meta["c"]),
        )

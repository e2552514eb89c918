"""``aimass bench``: train on a train file, select on a dev file, evaluate on a test file.

The interface is fixed by PRODUCT.md. Every number is measured on "the model as served": the
trained model is saved as an artifact, loaded back through the runtime's predictor, and
evaluated with the runtime's own rules (the out-of-scope threshold, the FAQ bank), so that
nothing is computed differently here and in production.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from aimass.config.training import TrainConfig
from aimass.evaluation import benchdata
from aimass.evaluation.metrics import faq_metrics, intent_metrics, match_metrics

log = logging.getLogger(__name__)

# Per-kind training defaults, chosen on the public train/dev splits (see benchmarks/README.md).
# Anything given in ``overrides`` wins.
INTENT_DEFAULTS: dict[str, Any] = {
    "epochs": 5.0,
    "evals_per_epoch": 2,
    "patience": 4,
    "lr": 3e-5,
    "head_lr": 3e-4,  # the head starts from the linear probe: move it gently
    "max_minutes": 14.0,  # PRODUCT.md: each set trains within 20 minutes on 2 cores
}
MATCH_DEFAULTS: dict[str, Any] = {
    "epochs": 2.0,
    "evals_per_epoch": 4,
    "patience": 3,
    "lr": 6e-5,
    "head_lr": 2e-3,  # the pair head starts at random
    "max_pair_length": 80,
    "max_minutes": 16.0,  # within 20 minutes with calibration and evaluation
}
FAQ_DEFAULTS: dict[str, Any] = {
    "epochs": 4.0,
    "evals_per_epoch": 2,
    "patience": 3,
    "lr": 3e-5,
    "max_length": 96,
    "max_minutes": 14.0,
}


def _config(defaults: dict[str, Any], overrides: dict[str, Any] | None) -> TrainConfig:
    return TrainConfig.model_validate({**defaults, **(overrides or {})})


def _rewrite_calibration(path: Path, calibration: dict[str, Any]) -> None:
    """Replace an artifact's calibration.json atomically (what the bench fitted after saving)."""
    from aimass.model.artifact import write_json

    tmp = path / "calibration.json.tmp"
    write_json(tmp, calibration)
    tmp.replace(path / "calibration.json")


def _fit_faq_confidence(index: Any, queries: Sequence[Any]) -> dict[str, float]:
    """The logistic map of "the top FAQ is right" on (cosine, lead over the other hits), from
    the index as served, as ``Assistant._match_confidence`` applies it."""
    from aimass.training.calibrate import fit_match_confidence

    rows = index.search([q.text for q in queries], k=5)
    top1, margin, correct = [], [], []
    for row, q in zip(rows, queries, strict=True):
        if not row:
            continue
        dense = [h.hit.dense for h in row]
        top1.append(dense[0])
        margin.append(dense[0] - (max(dense[1:]) if len(dense) > 1 else 0.0))
        correct.append(row[0].faq.id == q.faq_id)
    return fit_match_confidence(np.array(top1), np.array(margin), np.array(correct))


def _dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 2)


_T = TypeVar("_T")


def _latency_p50(fn: Callable[[_T], Any], texts: Sequence[_T], n: int = 100) -> float:
    sample = texts[:n]
    for t in sample[:3]:  # warm up
        fn(t)
    times = []
    for t in sample:
        start = time.perf_counter()
        fn(t)
        times.append((time.perf_counter() - start) * 1000)
    return round(float(np.median(times)), 2)


def _save_and_load(
    result: Any, config: TrainConfig, model_out: Path | None, runtime: dict[str, Any]
) -> tuple[Any, Path, Any]:
    from aimass.runtime.predictor import TorchPredictor
    from aimass.training.save import save_artifact

    tmp = None
    if model_out is None:
        tmp = tempfile.TemporaryDirectory(prefix="aimass-bench-")
        model_out = Path(tmp.name) / "model"
    save_artifact(result, model_out, config={"train": config.model_dump()}, runtime=runtime)
    return TorchPredictor(model_out), model_out, tmp


def bench_intent(
    train: Path,
    dev: Path,
    test: Path,
    *,
    overrides: dict[str, Any] | None = None,
    model_out: Path | None = None,
) -> dict[str, Any]:
    from aimass.config.project import Thresholds
    from aimass.runtime.scope import OOS, decide_texts, oos_threshold
    from aimass.training.data import IntentData, TaskData, intent_groups
    from aimass.training.trainer import train as train_model

    tr, dv, te = (
        benchdata.read_intent(train),
        benchdata.read_intent(dev),
        benchdata.read_intent(test),
    )
    config = _config(INTENT_DEFAULTS, overrides)
    train_data = TaskData(intent=IntentData([e.text for e in tr], [e.label for e in tr]))
    if config.contrastive_intents:
        train_data.matching = intent_groups(train_data.intent)  # type: ignore[arg-type]
    result = train_model(
        train_data, config, TaskData(intent=IntentData([e.text for e in dv], [e.label for e in dv]))
    )
    predictor, path, tmp = _save_and_load(result, config, model_out, {})
    # A data set without out-of-scope examples (BANKING77, SMP2017) is scored as closed-set:
    # no floor turns an in-scope prediction into "oos". With them (CLINC150) the out-of-scope
    # rule fitted on dev (confidence + distance to the intents' prototypes) decides, exactly
    # as the runtime's scope.decide does in the service.
    has_oos = any(e.label == OOS for e in tr + dv)
    thresholds = Thresholds(oos=0.3 if has_oos else 0.0)
    threshold = oos_threshold(predictor.files.calibration, thresholds)
    texts = [e.text for e in te]
    _, _, decided = decide_texts(predictor, texts, thresholds)
    metrics = intent_metrics(
        [e.label for e in te], [d[0] for d in decided], [d[1] for d in decided]
    )
    metrics.update(
        train_seconds=round(result.train_seconds, 1),
        model_mb=_dir_mb(path),
        latency_ms_p50=_latency_p50(lambda t: decide_texts(predictor, [t], thresholds), texts),
        oos_threshold=threshold,
        dev=result.metrics,
        # the out-of-scope rule's prototypes and the explanation bank are data, not a result
        calibration={k: v for k, v in result.calibration.items() if k not in ("scope", "examples")},
        epochs_run=result.epochs_run,
        config=config.model_dump(),
    )
    if tmp is not None:
        tmp.cleanup()
    return metrics


def bench_match(
    train: Path,
    dev: Path,
    test: Path,
    *,
    overrides: dict[str, Any] | None = None,
    model_out: Path | None = None,
) -> dict[str, Any]:
    from aimass.model.predict import pair_logits
    from aimass.training.calibrate import served_pair_logits
    from aimass.training.data import PairData, TaskData
    from aimass.training.trainer import train as train_model

    tr, dv, te = benchdata.read_match(train), benchdata.read_match(dev), benchdata.read_match(test)
    config = _config(MATCH_DEFAULTS, overrides)

    def pairs(rows: list[benchdata.PairExample]) -> PairData:
        return PairData([r.text_a for r in rows], [r.text_b for r in rows], [r.label for r in rows])

    result = train_model(TaskData(pair=pairs(tr)), config, TaskData(pair=pairs(dv)))
    predictor, path, tmp = _save_and_load(result, config, model_out, {})
    model, enc = predictor.model, predictor.enc
    cal = predictor.files.calibration
    threshold = float(cal.get("pair_threshold_logit", 0.0))

    def served(a: list[str], b: list[str]) -> np.ndarray:
        return served_pair_logits(cal, pair_logits(model, enc, a, b), a, b)

    logits = served([r.text_a for r in te], [r.text_b for r in te])
    metrics = match_metrics([r.label for r in te], logits, threshold)
    metrics.update(
        train_seconds=round(result.train_seconds, 1),
        model_mb=_dir_mb(path),
        latency_ms_p50=_latency_p50(
            lambda i: served([te[i].text_a], [te[i].text_b]), list(range(len(te)))
        ),
        pair_fusion=cal.get("pair_fusion"),
        dev=result.metrics,
        epochs_run=result.epochs_run,
        config=config.model_dump(),
    )
    if tmp is not None:
        tmp.cleanup()
    return metrics


def bench_faq(
    faq: Path,
    test: Path,
    *,
    train: Path | None = None,
    dev: Path | None = None,
    overrides: dict[str, Any] | None = None,
    model_out: Path | None = None,
) -> dict[str, Any]:
    """FAQ retrieval. The bank indexes every way each FAQ is asked: its question plus the
    labelled training queries; without ``train``/``dev`` it is zero-shot (the bank alone)."""
    from aimass.data.language import mostly_english
    from aimass.encoders.frozen import get_frozen_encoder
    from aimass.retrieval.faq import FaqIndex
    from aimass.retrieval.fusion import FitChoice, Fusion, fit_fusion
    from aimass.retrieval.mix import MIX_GRID, DenseMix, mix, mixed_embed
    from aimass.schemas import Faq
    from aimass.training.data import MatchingData, TaskData
    from aimass.training.trainer import train as train_model

    entries = benchdata.read_faq_bank(faq)
    ids = [e.id for e in entries]
    tr = benchdata.read_faq_queries(train, ids) if train else []
    dv = benchdata.read_faq_queries(dev, ids) if dev else []
    te = benchdata.read_faq_queries(test, ids)
    bank: dict[str, list[str]] = {e.id: [e.question] for e in entries}
    for q in tr:
        bank[q.faq_id].append(q.text)
    config = _config(FAQ_DEFAULTS, overrides if tr else {**(overrides or {}), "trim_vocab": False})
    train_data = TaskData(matching=MatchingData(bank=bank))
    dev_data = TaskData(matching=MatchingData(bank=bank, queries=[(q.text, q.faq_id) for q in dv]))
    result = train_model(train_data, config, dev_data)
    faqs = [Faq(id=e.id, questions=bank[e.id], answer=e.answer) for e in entries]
    runtime = {"faqs": [f.model_dump(exclude={"source"}) for f in faqs]}
    predictor, path, tmp = _save_and_load(result, config, model_out, runtime)
    k = len(faqs)
    # Every text's vector from the model and, for an English bank, from the MiniLM expert,
    # computed once: the mixes and fusions below are then cheap to try.
    texts_all = list(
        dict.fromkeys([t for v in bank.values() for t in v] + [q.text for q in dv + te])
    )
    base = dict(zip(texts_all, predictor.embed(texts_all), strict=True))
    expert: dict[str, np.ndarray] = {}
    minilm = None
    if mostly_english([t for v in bank.values() for t in v]):
        minilm = get_frozen_encoder("minilm")
        expert = dict(zip(texts_all, minilm.encode(texts_all), strict=True))

    def lookup(m: DenseMix) -> Callable[[list[str]], np.ndarray]:
        def embed(texts: list[str]) -> np.ndarray:
            b = np.stack([base[t] for t in texts])
            return mix(b, np.stack([expert[t] for t in texts]), m.weight) if m.active else b

        return embed

    def index_for(m: DenseMix) -> FaqIndex:
        return FaqIndex(faqs, lookup(m))

    def search(idx: FaqIndex, texts: list[str], fusion: Fusion | None = None) -> list[list[str]]:
        rows = idx.search(texts, k=k, fusion=fusion)
        return [[h.faq.id for h in row] for row in rows]

    # The dense mix and the hybrid's fusion are fitted on dev: best dev MRR, then the gold's
    # likelihood under the fused scores (retrieval.fusion.fit_fusion), then the smaller
    # expert share. Each leg alone is measured in the same run.
    mixes = [DenseMix()] + [DenseMix("minilm", a) for a in MIX_GRID if a > 0 and expert]
    fusion_dev: dict[str, float] = {}
    dense_mix, fusion = DenseMix(), Fusion("weighted", 0.1)
    if dv:
        best: FitChoice | None = None
        dev_texts, dev_golds = [q.text for q in dv], [q.faq_id for q in dv]
        for m in mixes:
            idx = index_for(m)

            def rank(f: Fusion, idx: FaqIndex = idx) -> list[list[tuple[str, float]]]:
                rows = idx.search(dev_texts, k=k, fusion=f)
                return [[(h.faq.id, h.hit.fused) for h in row] for row in rows]

            choice, scores = fit_fusion(rank, dev_golds)
            fusion_dev.update(
                {(f"{m.tag}/" if m.active else "") + key: v for key, v in scores.items()}
            )
            if best is None or choice.key > best.key:
                best, dense_mix, fusion = choice, m, choice.fusion
        assert best is not None
        fusion_dev["chosen_nll"] = round(best.nll, 4)
    index = index_for(dense_mix)
    index.fusion = fusion
    # what was fitted is what the artifact serves with (aimass.runtime.assistant reads both)
    result.calibration.update(faq_fusion=fusion.to_dict(), faq_dense_mix=dense_mix.to_dict())
    if dense_mix.active and dv:
        # The runtime's FAQ confidence reads the dense cosine of the hits; the trainer fitted
        # that map on the model's own cosines, which a mix changes. Refit it on dev as served.
        result.calibration["faq_confidence"] = _fit_faq_confidence(index, dv)
    _rewrite_calibration(path, result.calibration)
    texts = [q.text for q in te]
    golds = [q.faq_id for q in te]
    metrics = faq_metrics(search(index, texts), golds)
    legs = {
        name: faq_metrics(search(index, texts, Fusion(name)), golds)
        for name in ("dense", "lexical")
    }
    if dense_mix.active:  # the mixed dense leg's two encoders, each alone
        legs["dense_model"] = faq_metrics(
            search(index_for(DenseMix()), texts, Fusion("dense")), golds
        )
        legs["dense_minilm"] = faq_metrics(
            search(index_for(DenseMix("minilm", 1.0)), texts, Fusion("dense")), golds
        )
    encode = minilm.encode if minilm is not None else predictor.embed
    served = FaqIndex(faqs, mixed_embed(predictor.embed, encode, dense_mix), fusion=fusion)
    metrics.update(
        fusion=fusion.to_dict(),
        dense_mix=dense_mix.to_dict(),
        fusion_dev_mrr=fusion_dev,
        legs=legs,
        train_seconds=round(result.train_seconds, 1),
        model_mb=_dir_mb(path),
        latency_ms_p50=_latency_p50(lambda t: served.search([t], k=5), texts),
        dev=result.metrics,
        zero_shot=not tr,
        epochs_run=result.epochs_run,
        config=config.model_dump(),
    )
    if tmp is not None:
        tmp.cleanup()
    return metrics

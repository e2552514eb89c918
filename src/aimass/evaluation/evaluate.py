"""``aimass eval``: intent metrics of an artifact on labelled data, plus an HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from aimass.errors import ProjectError
from aimass.evaluation.metrics import confusion, intent_metrics, reliability_bins


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    """Texts and intent labels from a benchmark-style JSONL (``label``) or a project intent
    file (YAML/CSV/JSONL with ``intent``), through the same readers training uses."""
    path = Path(path)
    if path.suffix == ".jsonl":
        from aimass.evaluation import benchdata

        try:
            rows = benchdata.read_intent(path)
            return [r.text for r in rows], [r.label for r in rows]
        except ProjectError as e:
            if e.code != "AM103":
                raise
    from aimass.data.readers.intents import read_intents

    intents, problems = read_intents(path, root=path.parent)
    errors = [p for p in problems if p.severity.value == "error"]
    if errors:
        raise ProjectError(
            str(errors[0]), code=errors[0].code, file=errors[0].file, line=errors[0].line
        )
    texts = [ex.text for i in intents for ex in i.examples]
    labels = [i.name for i in intents for _ in i.examples]
    return texts, labels


def evaluate_artifact(artifact: Path, data: Path, out: Path) -> dict[str, Any]:
    from aimass.config.project import Thresholds
    from aimass.runtime.predictor import load_predictor
    from aimass.runtime.scope import decide_texts

    texts, gold = read_labelled(data)
    if not texts:
        raise ProjectError(f"{data} has no labelled examples", code="AM118", file=str(data))
    predictor = load_predictor(artifact)
    if not predictor.has("intent"):
        raise ProjectError("the artifact has no intent head", code="AM403")
    known = set(predictor.intent_labels) | {"oos"}
    unknown = sorted({g for g in gold if g not in known})
    # The served rule, score and thresholds (runtime/scope.py), not a re-implementation.
    thresholds = Thresholds.model_validate(predictor.files.runtime.get("thresholds", {}))
    probs, vectors, decided = decide_texts(predictor, texts, thresholds)
    pred = [d[0] for d in decided]
    conf = np.array([d[1] for d in decided])
    metrics = intent_metrics(gold, pred, conf)
    metrics["unknown_labels"] = unknown
    metrics["reliability"] = reliability_bins(conf, np.array(gold) == np.array(pred))
    from aimass.evaluation.trust import intent_trust

    metrics["trust"] = intent_trust(predictor, texts, gold, probs, vectors, decided)
    labels, matrix = confusion(gold, pred)
    errors = [
        {"text": t, "gold": g, "predicted": p, "confidence": round(float(c), 3)}
        for t, g, p, c in zip(texts, gold, pred, conf, strict=True)
        if g != p
    ]
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    from aimass.evaluation.report import write_report

    write_report(
        out / "report.html",
        metrics=metrics,
        labels=labels,
        matrix=matrix,
        errors=errors,
        artifact=str(artifact),
        data=str(data),
    )
    return metrics

"""Writing a TrainResult as an artifact directory, atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aimass.model.artifact import AtomicDirectory, new_manifest, write_json
from aimass.model.io import write_model
from aimass.training.trainer import TrainResult


def save_artifact(
    result: TrainResult,
    out: Path,
    *,
    config: dict[str, Any],
    runtime: dict[str, Any] | None = None,
    extra_metrics: dict[str, Any] | None = None,
) -> Path:
    """``config`` is the resolved run config (training + project behaviour); ``runtime``
    holds what the assistant answers with (FAQs, responses, replies, thresholds)."""
    out = Path(out)
    with AtomicDirectory(out) as tmp:
        version = write_model(result.model, result.enc.tokenizer, tmp)
        write_json(tmp / "config.json", config)
        write_json(tmp / "labels.json", result.labels)
        write_json(
            tmp / "metrics.json",
            {
                "dev": result.metrics,
                "history": result.history,
                "train_seconds": round(result.train_seconds, 1),
                "vocab": result.vocab,
                **(extra_metrics or {}),
            },
        )
        write_json(tmp / "calibration.json", result.calibration)
        write_json(tmp / "runtime.json", runtime or {})
        for name, expert in result.experts.items():
            expert.save(tmp / "experts" / name)
        manifest = new_manifest(
            tasks=list(result.model.heads.keys()), backbone=result.backbone, model_version=version
        )
        write_json(tmp / "aimass-artifact.json", manifest)  # last: its presence means complete
    return out

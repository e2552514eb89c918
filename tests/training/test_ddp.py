"""The training loop runs unchanged under torchrun: 2 processes (gloo on CPU) train the same
model a single process trains, and only rank 0 writes the artifact."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from aimass.model import predict
from aimass.model.io import load_model
from modelkit import INTENT_ROWS


def write_project(root: Path, backbone: Path) -> Path:
    root.mkdir(parents=True)
    intents: dict[str, list[str]] = {}
    for text, label in INTENT_ROWS:
        intents.setdefault(label, []).append(text)
    # Pad every intent to 5 examples (the project minimum) with distinct variants.
    for texts in intents.values():
        base = list(texts)
        k = 0
        while len(texts) < 5:
            texts.append(f"{base[k % len(base)]} ({k})")
            k += 1
    (root / "data").mkdir()
    (root / "data" / "intents.yaml").write_text(
        yaml.safe_dump(
            {"intents": [{"name": n, "examples": ex} for n, ex in intents.items()]},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    config = {
        "name": "ddp-test",
        "data": {"intents": ["data/intents.yaml"]},
        "training": {
            "backbone": str(backbone),
            "epochs": 6,
            "batch_size": 4,
            "lr": 2e-3,
            "head_lr": 1e-2,
            "dropout": 0.0,
            "label_smoothing": 0.0,
            "warmup_ratio": 0.0,
            "trim_vocab": False,
            "precision": "fp32",
            "threads": 1,
            "patience": 100,
            "dev_fraction": 0.2,
        },
    }
    (root / "aimass.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return root


@pytest.mark.ddp
def test_two_process_training_matches_one_process(
    tiny_backbones: Callable[[str], Path], tmp_path: Path
) -> None:
    project = write_project(tmp_path / "bot", tiny_backbones("bert"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    single = subprocess.run(
        [
            sys.executable,
            "-m",
            "aimass.cli.main",
            "train",
            str(project),
            "--out",
            str(tmp_path / "one"),
            "-q",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert single.returncode == 0, single.stderr[-2000:]
    ddp = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            "--master-port",
            "29533",
            "-m",
            "aimass.cli.main",
            "train",
            str(project),
            "--out",
            str(tmp_path / "two"),
            "-q",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ddp.returncode == 0, ddp.stderr[-4000:]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []  # rank 1 wrote nothing, rank 0 renamed its folder into place

    texts = [t for t, _ in INTENT_ROWS]
    m1, e1, _ = load_model(tmp_path / "one")
    m2, e2, _ = load_model(tmp_path / "two")
    p1 = predict.intent_probabilities(m1, e1, texts)
    p2 = predict.intent_probabilities(m2, e2, texts)
    # Each rank takes half of every batch and DDP averages the gradients: the same updates as
    # one process on the whole batch, up to float summation order.
    np.testing.assert_allclose(p2, p1, atol=2e-3)
    assert (p1.argmax(1) == p2.argmax(1)).all()

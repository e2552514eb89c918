"""Fixtures of the compression tests: one tiny trained artifact (intents with out-of-scope
and hand-off, profile tags, FAQ matching, a lexical intent expert with a non-zero fusion
weight) and its compressed forms. Everything trains and exports in seconds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelkit import FAQ_BANK, HANDOFF_ROWS, INTENT_ROWS, OOS_ROWS, PROFILE_ROWS, tiny_config

ROWS = INTENT_ROWS + OOS_ROWS + HANDOFF_ROWS
RUNTIME: dict[str, Any] = {
    "intents": {
        "return_item": {"responses": {"zh": "请在订单页申请退货。", "en": "Request a return."}},
        "payment": {"responses": {"zh": "支持支付宝和花呗。", "en": "We take Alipay."}},
    },
    "faqs": [
        {"id": fid, "questions": qs, "answer": "", "answers": {"zh": f"{fid} 答案", "en": fid}}
        for fid, qs in FAQ_BANK.items()
    ],
    "handoff_intents": ["human_agent"],
}


@pytest.fixture(scope="session")
def torch_artifact(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    from aimass.training.data import IntentData, MatchingData, ProfileData, TaskData
    from aimass.training.save import save_artifact
    from aimass.training.trainer import train

    data = TaskData(
        intent=IntentData([t for t, _ in ROWS], [lab for _, lab in ROWS]),
        profile=ProfileData([t for t, _ in PROFILE_ROWS], [tags for _, tags in PROFILE_ROWS]),
        matching=MatchingData(bank=FAQ_BANK, queries=[(qs[0], f) for f, qs in FAQ_BANK.items()]),
    )
    config = tiny_config(tiny_backbones("bert"), epochs=40, experts=["lexical"])
    result = train(data, config, data, progress=False)
    path = tmp_path_factory.mktemp("compress") / "torch-model"
    save_artifact(result, path, config={"train": {}}, runtime=RUNTIME)
    # Give the lexical expert a weight, so serving must fuse it (dev fitting on 17 examples
    # may leave it at 0, and then fusion would go untested).
    cal = json.loads((path / "calibration.json").read_text(encoding="utf-8"))
    cal["expert_weights"] = {"lexical": 0.5}
    (path / "calibration.json").write_text(json.dumps(cal), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def dev_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compress-dev") / "dev.jsonl"
    path.write_text(
        "\n".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) for t, lab in ROWS),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def compressed(torch_artifact: Path, dev_file: Path) -> tuple[Path, dict[str, Any]]:
    """The full chain (fp32 export, int8 candidates) with a dev set: (folder, report)."""
    from aimass.compress.chain import compress

    out = torch_artifact.parent / "onnx-model"
    report = compress(torch_artifact, out, dev=dev_file, threads=1)
    return out, report


@pytest.fixture(scope="session")
def onnx_fp32(torch_artifact: Path) -> Path:
    """The chain without int8: the ONNX model is the exact fp32 export."""
    from aimass.compress.chain import compress

    out = torch_artifact.parent / "onnx-fp32-model"
    compress(torch_artifact, out, threads=1, int8=False)
    return out

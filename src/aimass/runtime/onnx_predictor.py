"""``OnnxPredictor``: the runtime's model from an ONNX artifact, without torch.

Same methods as :class:`aimass.runtime.predictor.TorchPredictor` (``intent_probabilities``,
``tag_probabilities``, ``embed``, ``has``, ``files``, the label lists), built on
onnxruntime, the ``tokenizers`` package (the artifact's ``encoder/tokenizer.json``) and
numpy. The intent experts are fused exactly as in the torch predictor (same ``fuse``, same
weights and temperature from calibration.json), so a compressed artifact answers with the
same decision rule.

One encoder pass yields every output (embedding, intent and profile logits); the runtime
asks for them one after the other on the same texts, so the last pass is kept and reused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from aimass.compress.layout import (
    EMBEDDING,
    INTENT_LOGITS,
    ONNX_FILE,
    ONNX_META,
    PROFILE_LOGITS,
    TOKENIZER_FILE,
)
from aimass.errors import ArtifactError, require
from aimass.model.artifact import read_artifact

_TASK_OUTPUT = {"intent": INTENT_LOGITS, "profile": PROFILE_LOGITS, "matching": EMBEDDING}


class OnnxPredictor:
    def __init__(self, path: Path, threads: int | None = None, batch_size: int = 64) -> None:
        require("onnxruntime", "onnx")
        require("tokenizers", "onnx")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = Path(path)
        self.path = path
        self.files = read_artifact(path)
        self.meta: dict[str, Any] = json.loads((path / ONNX_META).read_text(encoding="utf-8"))
        self.intent_labels = list(self.files.labels.get("intents", []))
        self.tag_labels = list(self.files.labels.get("tags", []))
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(path / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(
            int(self.meta.get("max_length", 64)),
            direction=self.meta.get("truncation_side", "right"),
        )
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(
                str(path / ONNX_FILE), opts, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime raises its own exception types
            raise ArtifactError(
                f"the ONNX model cannot be loaded: {e}",
                code="AM402",
                file=str(path / ONNX_FILE),
                hint="the file is corrupt or truncated; run `aimass compress` again",
            ) from None
        self.output_names = [o.name for o in self.session.get_outputs()]
        from aimass.model.experts import load_expert

        weights = self.files.calibration.get("expert_weights", {})
        self.experts = {n: load_expert(path / "experts" / n) for n, w in weights.items() if w}
        self._last: tuple[tuple[str, ...], str, dict[str, np.ndarray]] | None = None

    # ------------------------------------------------------------------ the Predictor API

    def has(self, task: str) -> bool:
        return _TASK_OUTPUT.get(task, "") in self.output_names and (
            task != "matching" or "matching" in self.files.heads
        )

    def intent_probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities of the intent head fused with the intent experts."""
        from aimass.model.experts import fuse

        cal = self.files.calibration
        nn_logits = self.outputs(texts)[INTENT_LOGITS].astype(np.float64)
        weights = cal.get("expert_weights", {})
        parts = [(float(weights[n]), e.logits(texts)) for n, e in self.experts.items()]
        return fuse(nn_logits, parts, float(cal.get("intent_temperature", 1.0)))

    def tag_probabilities(self, texts: list[str]) -> np.ndarray:
        logits = self.outputs(texts)[PROFILE_LOGITS]
        t = float(self.meta.get("profile_temperature", 1.0))
        return (0.5 * (1.0 + np.tanh(logits / (2.0 * t)))).astype(
            np.float32
        )  # sigmoid, no overflow

    def embed(self, texts: list[str], kind: str = "query") -> np.ndarray:
        return self.outputs(texts, kind=kind)[EMBEDDING]

    # ------------------------------------------------------------------ the graph

    def outputs(
        self, texts: list[str], kind: str = "query", *, cache: bool = True
    ) -> dict[str, np.ndarray]:
        """Every graph output for ``texts`` in input order, batched by length."""
        key = (tuple(texts), kind)
        if cache and self._last is not None and self._last[:2] == key:
            return self._last[2]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result: dict[str, np.ndarray] = {}
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            outs = self.session.run(None, self.encode([texts[i] for i in idx], kind))
            for name, arr in zip(self.output_names, outs, strict=True):
                if name not in result:
                    result[name] = np.empty((len(texts), *arr.shape[1:]), dtype=np.float32)
                result[name][idx] = arr
        if not texts:
            dims = {o.name: o.shape[1:] for o in self.session.get_outputs()}
            result = {n: np.zeros((0, *[int(d) for d in s]), np.float32) for n, s in dims.items()}
        self._last = (key[0], kind, result)
        return result

    def encode(self, texts: list[str], kind: str = "query") -> dict[str, np.ndarray]:
        """Token ids and attention mask, padded to the longest text, as transformers does."""
        prefix = self.meta.get("passage_prefix" if kind == "passage" else "query_prefix", "")
        encs = self.tokenizer.encode_batch([prefix + t for t in texts])
        width = max((len(e.ids) for e in encs), default=1)
        ids = np.full((len(encs), width), int(self.meta.get("pad_id", 0)), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        left = self.meta.get("padding_side", "right") == "left"
        for i, e in enumerate(encs):
            n = len(e.ids)
            sl = slice(width - n, width) if left else slice(0, n)
            ids[i, sl] = e.ids
            mask[i, sl] = 1
        return {"input_ids": ids, "attention_mask": mask}

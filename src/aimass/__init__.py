"""AI Mass: an intelligent customer-service assistant on pre-trained transformers.

``import aimass`` is light: it does not import torch, transformers, onnxruntime or fastapi.
The heavy parts load inside the code that needs them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

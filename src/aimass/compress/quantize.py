"""Dynamic int8 quantisation with onnxruntime, and latency measured on this CPU.

Quantised models are not always faster on a CPU (a common complaint): quantising and
dequantising activations costs time, and small matrices gain nothing. So every candidate is
timed here, at batch 1 and 32, against the fp32 ONNX model, and the chain rejects one that is
not faster. Candidates:

- ``int8``             weights int8 per tensor, activations quantised at run time (MatMul,
                       Gather, Attention: onnxruntime's defaults)
- ``int8-per-channel`` one scale per output channel: closer to fp32 when a layer's rows
                       differ in range (often the case after fine-tuning), a little slower
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimass.errors import TrainingError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuantCandidate:
    name: str
    per_channel: bool
    op_types: tuple[str, ...] | None = None  # None: onnxruntime's defaults


CANDIDATES = (
    QuantCandidate("int8", per_channel=False),
    QuantCandidate("int8-per-channel", per_channel=True),
)


def quantize_int8(src: Path, dest: Path, candidate: QuantCandidate) -> Path:
    """Write a dynamically quantised copy of the ONNX model ``src`` to ``dest``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # its "consider pre-processing" advice, on the root logger
    try:
        quantize_dynamic(
            str(src),
            str(dest),
            per_channel=candidate.per_channel,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(candidate.op_types) if candidate.op_types else None,
        )
    except Exception as e:  # onnxruntime's quantiser raises plain exceptions of many kinds
        raise TrainingError(
            f"int8 quantisation ({candidate.name}) failed: {type(e).__name__}: {e}",
            code="AM522",
            hint="run `aimass compress --no-int8` to keep the fp32 ONNX model",
        ) from None
    finally:
        logging.disable(logging.NOTSET)
    return dest


def latency_ms(
    run: Callable[[list[str]], Any],
    texts: list[str],
    *,
    batch_sizes: tuple[int, ...] = (1, 32),
    min_seconds: float = 0.5,
    max_rounds: int = 5,
) -> dict[str, float]:
    """Milliseconds per sentence at each batch size, tokenisation included (what serving
    pays). Each batch size gets a warm-up call, then rounds over the texts until
    ``min_seconds`` have been measured (at most ``max_rounds``); the fastest round counts:
    on a shared machine other work only ever adds time, so the minimum is the least noisy
    estimate of what the model itself costs."""
    out: dict[str, float] = {}
    for bs in batch_sizes:
        pool = list(texts)
        while len(pool) < bs:
            pool += texts
        batches = [pool[i : i + bs] for i in range(0, len(pool) - bs + 1, bs)][:64]
        if bs == 1:
            batches = batches[:32]
        run(batches[0])  # warm-up: first-call allocations, lazy initialisation
        rounds: list[float] = []
        spent = 0.0
        while len(rounds) < max_rounds and (spent < min_seconds or len(rounds) < 2):
            t0 = time.perf_counter()
            for b in batches:
                run(b)
            dt = time.perf_counter() - t0
            spent += dt
            rounds.append(dt * 1000 / sum(len(b) for b in batches))
        out[f"b{bs}_ms"] = round(min(rounds), 3)
    return out


def size_mb(path: Path) -> float:
    """Size of a file, or of every file under a folder, in MB (10^6 bytes)."""
    path = Path(path)
    if path.is_file():
        return round(path.stat().st_size / 1e6, 3)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 3)


def interleaved_latency(
    runners: dict[str, Callable[[list[str]], Any]],
    texts: list[str],
    *,
    rounds: int = 3,
    batch_sizes: tuple[int, ...] = (1, 32),
) -> dict[str, dict[str, float]]:
    """:func:`latency_ms` of several models, measured in turns (round 1 of every model,
    then round 2, ...) and the fastest turn kept: when the machine's load drifts, every
    model sees the same drift, so their ratios stay fair."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        for name, run in runners.items():
            lat = latency_ms(run, texts, batch_sizes=batch_sizes, min_seconds=0.0, max_rounds=1)
            prev = best.get(name)
            best[name] = lat if prev is None else {k: min(v, prev[k]) for k, v in lat.items()}
    return best

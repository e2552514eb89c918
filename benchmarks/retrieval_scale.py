"""Retrieval at scale: index build time, memory and query latency for banks of 10k-1M entries.

Entries are real customer questions from the public benchmark sets (BANKING77, CLINC150,
SMP2017, AFQMC, StackFAQ) with their real multilingual-e5-small vectors (from the benchmark
vector cache, encoded once). Above the number of distinct real texts, entries are recombined:
the first half of one question joined to the second half of another, with the normalised sum
of the two parents' vectors as its vector (an approximation: encoding a million texts with
the transformer on 2 cores would take hours). Queries are 300 held-out real questions.

For each size it measures, in one run:
- lexical (BM25 over the text layer): tokenise + index seconds, index MB, query p50/p99;
- dense exact float32 (the reference), exact int8, exact PCA-128, HNSW (hnswlib): build
  seconds, MB, query p50/p99, recall@10 against exact float32;
- hybrid (the runtime's search: both legs, fused): query p50/p99.

    .venv/bin/python benchmarks/retrieval_scale.py --sizes 10000,100000,1000000

Writes ``benchmarks/results/retrieval_scale.json`` and ``retrieval_scale.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from aimass.retrieval.dense import DenseIndex, DenseOptions  # noqa: E402
from aimass.retrieval.fusion import Fusion  # noqa: E402
from aimass.retrieval.hybrid import Entry, HybridIndex  # noqa: E402
from aimass.retrieval.lexical import LexicalIndex  # noqa: E402

N_QUERIES = 300


def real_texts(cache_dir: Path) -> tuple[list[str], np.ndarray]:
    """Every query-kind text in the e5 benchmark cache with its vector."""
    meta = json.loads((cache_dir / "e5.json").read_text(encoding="utf-8"))
    vectors = np.load(cache_dir / "e5.npy", mmap_mode="r")
    texts, rows = [], []
    for i, (kind, text) in enumerate(meta["keys"]):
        if kind == "query" and 4 <= len(text) <= 300:
            texts.append(text)
            rows.append(i)
    return texts, np.asarray(vectors[np.asarray(rows)], dtype=np.float32)


def halves(text: str) -> tuple[str, str]:
    words = text.split()
    if len(words) >= 4:
        m = len(words) // 2
        return " ".join(words[:m]), " ".join(words[m:])
    m = len(text) // 2
    return text[:m], text[m:]


def make_bank(
    texts: list[str], vecs: np.ndarray, n: int, seed: int = 0
) -> tuple[list[str], np.ndarray]:
    if n <= len(texts):
        return texts[:n], vecs[:n]
    rng = np.random.default_rng(seed)
    extra = n - len(texts)
    a = rng.integers(0, len(texts), extra)
    b = rng.integers(0, len(texts), extra)
    out_texts = list(texts)
    for i, j in zip(a, b, strict=True):
        left, _ = halves(texts[i])
        _, right = halves(texts[j])
        sep = "" if _cjk(left[-1:]) or _cjk(right[:1]) else " "
        out_texts.append(f"{left}{sep}{right}")
    mixed = vecs[a] + vecs[b]
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return out_texts, np.concatenate([vecs, mixed.astype(np.float32)])


def _cjk(ch: str) -> bool:
    return bool(ch) and "\u4e00" <= ch <= "\u9fff"


def percentiles(times: list[float]) -> dict[str, float]:
    ms = np.array(times) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
    }


def recall_at(ref: list[np.ndarray], got: list[np.ndarray], k: int = 10) -> float:
    return float(np.mean([len(set(r[:k]) & set(g[:k])) / k for r, g in zip(ref, got, strict=True)]))


def bench_dense(
    name: str, opts: DenseOptions, vecs: np.ndarray, q: np.ndarray, ref: list | None
) -> tuple[dict, list]:
    gc.collect()
    t0 = time.perf_counter()
    index = DenseIndex(opts)
    index.add(vecs)
    build = time.perf_counter() - t0
    times, tops = [], []
    for row in q:
        t = time.perf_counter()
        ((idx, _),) = index.top(row[None, :], 10)
        times.append(time.perf_counter() - t)
        tops.append(idx)
    mb = index.nbytes() / 1e6
    if index._hnsw is not None:  # the graph: vectors + M links per element (hnswlib's layout)
        mb += len(vecs) * (vecs.shape[1] * 4 + opts.m * 2 * 4 + 16) / 1e6
    row = {"leg": name, "build_s": round(build, 2), "index_mb": round(mb, 1), **percentiles(times)}
    row["recall_at_10"] = 1.0 if ref is None else round(recall_at(ref, tops), 4)
    del index
    return row, tops


def run_size(
    n: int, texts: list[str], vecs: np.ndarray, qt: list[str], qv: np.ndarray
) -> dict[str, Any]:
    from aimass.text import default_analyzer

    bank_texts, bank_vecs = make_bank(texts, vecs, n)
    out: dict[str, Any] = {"entries": n, "recombined": max(0, n - len(texts)), "legs": []}
    tokenize = default_analyzer().terms

    t0 = time.perf_counter()
    tokens = [tokenize(t) for t in bank_texts]
    tok_s = time.perf_counter() - t0
    lex = LexicalIndex(tokenize=tokenize)
    t0 = time.perf_counter()
    lex.add_tokens(tokens)
    lex._ensure()
    idx_s = time.perf_counter() - t0
    m = lex._bm25.scores
    lex_mb = sum(m[k].nbytes for k in ("data", "indices", "indptr")) / 1e6
    times = []
    for t in qt:
        s = time.perf_counter()
        sc = lex.scores(t)
        np.argpartition(-sc, 10)[:10]
        times.append(time.perf_counter() - s)
    out["legs"].append(
        {
            "leg": "lexical (BM25)",
            "build_s": round(tok_s + idx_s, 2),
            "tokenize_s": round(tok_s, 2),
            "index_mb": round(lex_mb, 1),
            **percentiles(times),
            "recall_at_10": None,
        }
    )
    del lex, tokens
    gc.collect()

    exact_opts = DenseOptions(ann_threshold=10**12)
    row, ref = bench_dense("dense exact float32", exact_opts, bank_vecs, qv, None)
    out["legs"].append(row)
    for name, opts in (
        ("dense exact int8", DenseOptions(ann_threshold=10**12, storage="int8")),
        ("dense exact PCA-128", DenseOptions(ann_threshold=10**12, dim=128)),
        (
            "dense HNSW (M=16, ef=128)",
            DenseOptions(ann_threshold=0, m=16, ef_construction=100, ef_search=128),
        ),
    ):
        row, _ = bench_dense(name, opts, bank_vecs, qv, ref)
        out["legs"].append(row)
        print(json.dumps(row), flush=True)

    # the runtime's hybrid search (HNSW above 20k entries, exact below), query vectors given
    hy = HybridIndex(
        lambda x: bank_vecs[: len(x)],
        tokenize=tokenize,
        fusion=Fusion("weighted", 0.1),
        dense=DenseOptions(m=16, ef_construction=100),
    )
    t0 = time.perf_counter()
    hy.add([Entry(str(i), str(i), t) for i, t in enumerate(bank_texts)], bank_vecs)
    hy.lexical._ensure()
    build = time.perf_counter() - t0
    times = []
    for t, v in zip(qt, qv, strict=True):
        s = time.perf_counter()
        hy.search([t], 10, query_vectors=v[None, :])
        times.append(time.perf_counter() - s)
    out["legs"].append(
        {
            "leg": "hybrid (runtime search)",
            "build_s": round(build, 2),
            "index_mb": None,
            **percentiles(times),
            "recall_at_10": None,
        }
    )
    del hy
    gc.collect()
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Retrieval at scale",
        "",
        f"Measured {result['measured_at']} at commit `{result['git_commit']}` on {result['machine']}.",
        "Query times are per single query (batch 1), 300 held-out real questions; recall@10 is",
        "against exact float32 search. Entries beyond the real texts are recombined (see the",
        "script's docstring). Compare rows within one run; absolute times vary with the machine.",
        "",
        "| entries | leg | build s | index MB | p50 ms | p99 ms | recall@10 |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in result["sizes"]:
        for r in size["legs"]:
            rec = "" if r.get("recall_at_10") is None else f"{r['recall_at_10']:.3f}"
            mb = "" if r.get("index_mb") is None else f"{r['index_mb']}"
            lines.append(
                f"| {size['entries']:,} | {r['leg']} | {r['build_s']} | {mb} | {r['p50_ms']} | {r['p99_ms']} | {rec} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument(
        "--cache",
        type=Path,
        default=REPO / "benchmarks" / "work" / "cache",
        help="the benchmark vector cache (run benchmarks/run_benchmarks.py first)",
    )
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = p.parse_args(argv)
    if not (args.cache / "e5.npy").exists():
        print(
            f"no e5 vector cache in {args.cache}: run benchmarks/run_benchmarks.py first",
            file=sys.stderr,
        )
        return 2
    texts, vecs = real_texts(args.cache)
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    q_idx, b_idx = order[:N_QUERIES], order[N_QUERIES:]
    qt, qv = [texts[i] for i in q_idx], vecs[q_idx]
    texts, vecs = [texts[i] for i in b_idx], vecs[b_idx]
    print(f"{len(texts)} real texts with vectors", flush=True)
    sizes = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"== {n:,} entries", flush=True)
        sizes.append(run_size(n, texts, vecs, qt, qv))
        for r in sizes[-1]["legs"]:
            print(json.dumps(r), flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()
    result = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "machine": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores",
        "real_texts": len(texts),
        "sizes": sizes,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "retrieval_scale.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    (args.out / "retrieval_scale.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The hybrid against each of its legs, from `aimass bench faq` result files, as a table.

    python benchmarks/faq_legs_table.py benchmarks/results/stackfaq-zero-shot.json \
        benchmarks/results/stackfaq.aimass.json --out benchmarks/results/stackfaq-legs.md

Every row of a file comes from that one run (`aimass bench faq` measures the hybrid and each
leg alone on the same test queries). "beats every leg" compares P@1, then MRR on a tie.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

LEG_NAMES = {
    "dense": "dense leg (as served)",
    "lexical": "lexical leg (BM25)",
    "dense_model": "dense: the model alone",
    "dense_minilm": "dense: MiniLM alone",
}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def table(path: Path) -> list[str]:
    r = json.loads(path.read_text(encoding="utf-8"))
    mix = r.get("dense_mix") or {}
    fusion = r.get("fusion") or {}
    kind = "zero-shot (the FAQ bank alone)" if r.get("zero_shot") else "fine-tuned"
    lines = [
        f"## {path.name}: {kind}, n = {r['n']}",
        "",
        f"Fitted on dev: lexical weight {fusion.get('weight')} ({fusion.get('method')}), "
        f"dense mix {mix.get('expert') or 'none'} {mix.get('weight', 0)}.",
        "",
        "| ranker | P@1 | MRR | R@5 |",
        "|---|---:|---:|---:|",
        f"| **hybrid (as served)** | **{_pct(r['p_at_1'])}** | **{_pct(r['mrr'])}** "
        f"| **{_pct(r['recall_at_5'])}** |",
    ]
    key = (r["p_at_1"], r["mrr"])
    beats = True
    for name, leg in r.get("legs", {}).items():
        lines.append(
            f"| {LEG_NAMES.get(name, name)} | {_pct(leg['p_at_1'])} | {_pct(leg['mrr'])} "
            f"| {_pct(leg['recall_at_5'])} |"
        )
        beats = beats and key > (leg["p_at_1"], leg["mrr"])
    lines += ["", f"Hybrid beats every leg in this run: **{'yes' if beats else 'no'}**.", ""]
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    out = ["# FAQ retrieval: the hybrid against its legs", ""]
    for p in args.results:
        out += table(p)
    args.out.write_text("\n".join(out), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()

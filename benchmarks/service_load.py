"""Loopback load on the conversation endpoint: requests/s and p50/p99 latency, bounded.

The service issue's done-when: requests/s and p50/p99 latency for ``POST /v1/turns`` at 1, 8
and 32 concurrent clients on 2 cores with 0 errors, and with 2 server processes on
PostgreSQL. Two configurations, each a real ``aimass serve`` on 127.0.0.1 and a free port:

- ``sqlite-1w``: one server process on a throwaway SQLite file;
- ``postgres-2w``: ``--workers 2`` on a throwaway PostgreSQL server
  (``aimass.storage.pgtemp``; ``scripts/system-deps.sh`` installs it).

For each: a client key from ``aimass keys create``, wait for ``/readyz`` and for the workers
to finish loading (bounded), a discarded warm-up, then each concurrency level for
``--seconds`` with the closed-loop client of ``aimass.service.loadtest`` (each client sends
its next turn when the last is answered). The server processes are pinned to ``--cores``
CPUs; the per-key rate limit is lifted (it would rightly refuse a load test). The server is
stopped by its own process group, then PostgreSQL.

Absolute numbers depend on what else the machine runs; the ratios inside one run (requests/s
at N clients vs 1 client, 2 workers on PostgreSQL vs 1 on SQLite) are the comparable ones.
The model is never trained here: point ``--model`` at a trained artifact or a project that
has one.

    .venv/bin/python benchmarks/service_load.py                 # the demo bot, 1,8,32 clients
    .venv/bin/python benchmarks/service_load.py --model PATH --clients 1,4 --seconds 2

Writes ``<out>/service_load.json`` and ``<out>/service_load.md``; exits 1 when any request
failed or a configuration could not run (after writing the results), 2 when there is no
trained model.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # run from a checkout without installing
from benchkit import git_commit  # noqa: E402

from aimass.service.loadtest import run_load  # noqa: E402
from aimass.storage.pgtemp import free_port  # noqa: E402

HOST = "127.0.0.1"  # loopback only, never anything else
DEMO = REPO / "src" / "aimass" / "demo" / "shopmate"
LEVEL_GRACE_S = 75.0  # past --seconds: the last in-flight requests (the client waits up to 60 s)
STOP_GRACE_S = 20.0  # SIGTERM, then SIGKILL after this


@dataclass(frozen=True)
class Setup:
    name: str
    database: str  # "sqlite" | "postgres"
    workers: int


DEFAULT_WORKERS = {"sqlite": 1, "postgres": 2}


def parse_setup(spec: str) -> Setup:
    """``sqlite`` (1 worker), ``postgres`` (2 workers) or ``DATABASE-Nw`` (N workers)."""
    database, _, workers = spec.partition("-")
    if database not in DEFAULT_WORKERS or (
        workers and not (workers.endswith("w") and workers[:-1].isdigit() and workers != "0w")
    ):
        raise ValueError(spec)
    n = int(workers[:-1]) if workers else DEFAULT_WORKERS[database]
    return Setup(f"{database}-{n}w", database, n)


class NoModel(Exception):
    pass


def trained_model(target: Path) -> Path:
    """The artifact to serve: ``target`` itself, or the trained model of a project."""
    if (target / "aimass-artifact.json").exists():
        return target
    if not (target / "aimass.yaml").exists():
        raise NoModel(f"{target} is neither a trained artifact nor a bot project folder")
    candidates = [target / ".aimass" / "model"]  # where `aimass train PROJECT` writes
    if target.resolve() == DEMO.resolve():
        from aimass.paths import aimass_home

        candidates.append(aimass_home() / "demo" / "shopmate-model")  # where `aimass demo` does
    for c in candidates:
        if (c / "aimass-artifact.json").exists():
            return c
    how = f"`aimass train {target}` (writes {candidates[0]})"
    if len(candidates) > 1:
        how += f" or `aimass demo --no-serve --no-chat` (writes {candidates[1]})"
    raise NoModel(
        f"{target} has no trained model; this benchmark never trains one. Train it first with "
        f"{how}, or pass --model ARTIFACT_FOLDER."
    )


def _aimass(*args: str) -> list[str]:
    return [sys.executable, "-m", "aimass.cli.main", *args]


def _child_env(threads: int) -> dict[str, str]:
    src = str(REPO / "src")
    path = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        "PYTHONPATH": src + (os.pathsep + path if path else ""),
        "AIMASS_MODEL_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "AIMASS_RATE_PER_MINUTE": "1e9",
        "AIMASS_RATE_BURST": "1000000",
    }


def create_client_key(db_url: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        _aimass("keys", "create", "--scope", "client", "--name", "load benchmark", "--db", db_url),
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"aimass keys create failed: {out.stderr.strip()[-1500:]}")
    return lines[-1]  # the token is the one line on stdout


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # after the name: state, ppid, pgrp, ..., utime(11), stime(12)
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _wait_settled(pgid: int, deadline: float) -> None:
    """Wait until the server's processes stop using CPU: every worker has loaded its model.

    ``/readyz`` answers as soon as one worker is up; a second worker still loading would
    otherwise be measured as load.
    """
    if not Path("/proc/self/stat").exists():
        time.sleep(5.0)
        return
    last = _group_cpu_seconds(pgid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _group_cpu_seconds(pgid)
        if now - last < 0.15:
            return
        last = now


def _stop(proc: subprocess.Popen[bytes]) -> None:
    # The server runs in its own session (start_new_session), so its process group holds
    # exactly the server and the workers it spawned: nothing else is signalled.
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=STOP_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def serving(
    model: Path,
    db_url: str,
    *,
    workers: int,
    env: dict[str, str],
    cpus: list[int],
    log: Path,
    ready_timeout: float,
) -> Iterator[str]:
    """``aimass serve MODEL --workers N --db URL`` on 127.0.0.1; yields its base URL once ready."""
    import httpx

    port = free_port()
    base = f"http://{HOST}:{port}"

    def pin() -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)

    cmd = _aimass(
        "serve", str(model), "--host", HOST, "--port", str(port), "--workers", str(workers)
    )
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*cmd, "--db", db_url],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=pin,
        )
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({proc.returncode}): "
                    + log.read_text(errors="replace")[-2000:]
                )
            try:
                if httpx.get(base + "/readyz", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the server was not ready after {ready_timeout:.0f} s: "
                    + log.read_text(errors="replace")[-2000:]
                )
            time.sleep(0.25)
        _wait_settled(proc.pid, deadline)
        yield base
    finally:
        _stop(proc)


def _level(url: str, key: str, clients: int, seconds: float) -> dict[str, Any]:
    try:
        return asyncio.run(
            asyncio.wait_for(
                run_load(url, key, clients=clients, seconds=seconds),
                timeout=seconds + LEVEL_GRACE_S,
            )
        )
    except TimeoutError:
        return {
            "clients": clients,
            "requests": 0,
            "errors": 1,
            "failures": {"level timed out": 1},
            "seconds": round(seconds + LEVEL_GRACE_S, 2),
            "rps": 0.0,
            "p50_ms": 0.0,
            "p99_ms": 0.0,
        }


def run_setup(
    setup: Setup,
    model: Path,
    *,
    levels: list[int],
    seconds: float,
    warmup: float,
    threads: int,
    cpus: list[int],
    ready_timeout: float,
    work: Path,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": setup.name,
        "database": setup.database,
        "workers": setup.workers,
        "threads_per_worker": threads,
        "server_cpus": cpus,
        "status": "ok",
        "levels": [],
    }
    env = _child_env(threads)
    cluster = None
    try:
        if setup.database == "postgres":
            from aimass.storage.pgtemp import Cluster, PostgresUnavailable

            try:
                cluster = Cluster().start()
            except PostgresUnavailable as e:
                result.update(status="skipped", reason=str(e))
                return result
            db_url = cluster.new_database("load")
        else:
            db_url = f"sqlite:///{work / (setup.name + '.db')}"
        key = create_client_key(db_url, env)
        started = time.perf_counter()
        log = work / f"{setup.name}.log"
        with serving(
            model,
            db_url,
            workers=setup.workers,
            env=env,
            cpus=cpus,
            log=log,
            ready_timeout=ready_timeout,
        ) as url:
            result["startup_seconds"] = round(time.perf_counter() - started, 1)
            if warmup > 0:
                w = _level(url, key, max(levels), warmup)
                result["warmup"] = {k: w[k] for k in ("requests", "errors", "failures")}
            for clients in levels:
                r = _level(url, key, clients, seconds)
                print(json.dumps({"configuration": setup.name, **r}), flush=True)
                result["levels"].append(r)
    except Exception as e:  # one configuration failing still leaves the other's numbers
        result.update(status="failed", reason=f"{type(e).__name__}: {e}")
        print(f"{setup.name}: {result['reason']}", file=sys.stderr)
    finally:
        if cluster is not None:
            cluster.stop()
    base = result["levels"][0]["rps"] if result["levels"] else 0.0
    for r in result["levels"]:
        r["rps_vs_fewest"] = round(r["rps"] / base, 2) if base else None
    return result


def _machine(cpus_allowed: list[int], load: tuple[float, ...]) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpus_allowed": len(cpus_allowed),
        "load_average_at_start": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _markdown(out: dict[str, Any]) -> str:
    levels = out["clients"]
    lines = [
        "# Service load: the conversation endpoint on loopback",
        "",
        f"`POST /v1/turns`, closed-loop clients (`aimass.service.loadtest`), "
        f"{out['seconds']:g} s per level after a {out['warmup_seconds']:g} s warm-up; model "
        f"`{out['model']}`. Server processes pinned to {out['cores']} core(s) of "
        f"{out['machine']['cpus_allowed']} (load average at start "
        f"{', '.join(str(x) for x in out['machine']['load_average_at_start'])}). Measured "
        f"{out['measured_at']} at {out['git_commit']}.",
        "",
        f"| configuration | clients | requests | req/s | p50 ms | p99 ms | errors | "
        f"req/s vs {levels[0]} client(s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for c in out["configurations"]:
        label = f"{c['name']} ({c['threads_per_worker']} thread(s)/worker)"
        if c["status"] != "ok":
            notes.append(f"- {c['name']}: {c['status']}: {c.get('reason', '')[:500]}")
        for r in c["levels"]:
            failures = ", ".join(f"{k}: {v}" for k, v in r["failures"].items())
            ratio = "" if r["rps_vs_fewest"] is None else f"{r['rps_vs_fewest']:.2f}"
            lines.append(
                f"| {label} | {r['clients']} | {r['requests']} | {r['rps']:.1f} | "
                f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']}"
                f"{f' ({failures})' if failures else ''} | {ratio} |"
            )
    cross = out["ratios"].get("postgres-2w_vs_sqlite-1w_rps")
    if cross:
        lines += [
            "",
            "Requests/s of 2 workers on PostgreSQL over 1 worker on SQLite, same run:",
            "",
            "| clients | ratio |",
            "|---:|---:|",
        ]
        lines += [f"| {k} | {v:.2f} |" for k, v in cross.items()]
    lines += [
        "",
        f"Errors: {out['errors']} ({'0 errors: met' if out['ok'] else 'NOT met'}).",
    ]
    if notes:
        lines += ["", *notes]
    lines += [
        "",
        "Absolute times depend on the machine's other load; compare the ratios within a run.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--model", type=Path, default=DEMO, help="a trained artifact or a project that has one"
    )
    p.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels")
    p.add_argument("--seconds", type=float, default=10.0, help="per concurrency level")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds at the top level, discarded")
    p.add_argument(
        "--configs",
        default="sqlite,postgres",
        help="sqlite (1 worker), postgres (2 workers) or DATABASE-Nw, e.g. postgres-1w",
    )
    p.add_argument("--cores", type=int, default=2, help="CPUs the server is pinned to; 0: all")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="model threads per server process (default: cores / workers)",
    )
    p.add_argument("--ready-timeout", type=float, default=180.0, help="seconds to wait for start")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = p.parse_args(argv)

    levels = sorted({int(x) for x in args.clients.split(",") if x.strip()})
    try:
        setups = [parse_setup(x.strip()) for x in args.configs.split(",") if x.strip()]
    except ValueError as e:
        p.error(f"--configs: {e} is not sqlite, postgres or DATABASE-Nw (e.g. postgres-1w)")
    if not levels or levels[0] < 1 or not setups:
        p.error("--clients needs positive integers, --configs at least one configuration")
    if args.seconds <= 0 or args.seconds > 600:
        p.error("--seconds must be in (0, 600]")
    try:
        model = trained_model(args.model)
    except NoModel as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    # Loopback only: a proxy from the environment must never see these requests.
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), HOST]))
    allowed = sorted(os.sched_getaffinity(0))
    load_at_start = os.getloadavg()
    cpus = allowed[: args.cores] if args.cores > 0 else allowed

    configurations = []
    with tempfile.TemporaryDirectory(prefix="aimass-load-") as tmp:
        for setup in setups:
            threads = args.threads or max(1, len(cpus) // setup.workers)
            print(f"{setup.name}: starting ({threads} thread(s)/worker) …", file=sys.stderr)
            configurations.append(
                run_setup(
                    setup,
                    model,
                    levels=levels,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    threads=threads,
                    cpus=cpus if args.cores > 0 else [],
                    ready_timeout=args.ready_timeout,
                    work=Path(tmp),
                )
            )

    ratios: dict[str, Any] = {}
    by_name = {c["name"]: c for c in configurations}
    a, b = by_name.get("sqlite-1w"), by_name.get("postgres-2w")
    if a and b and a["levels"] and b["levels"]:
        rps_a = {r["clients"]: r["rps"] for r in a["levels"]}
        ratios["postgres-2w_vs_sqlite-1w_rps"] = {
            str(r["clients"]): round(r["rps"] / rps_a[r["clients"]], 2)
            for r in b["levels"]
            if rps_a.get(r["clients"])
        }
    errors = sum(r["errors"] for c in configurations for r in c["levels"])
    answered = all(r["requests"] > 0 for c in configurations for r in c["levels"])
    ok = errors == 0 and answered and all(c["status"] == "ok" for c in configurations)
    out = {
        "benchmark": "service_load",
        "model": str(model),
        "clients": levels,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "cores": len(cpus),
        "configurations": configurations,
        "ratios": ratios,
        "errors": errors,
        "ok": ok,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": _machine(allowed, load_at_start),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "service_load.json").write_text(
        json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    (args.out / "service_load.md").write_text(_markdown(out), encoding="utf-8")
    print(f"wrote {args.out / 'service_load.md'} (errors: {errors}, ok: {ok})", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

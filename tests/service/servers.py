"""Start real ``aimass serve`` processes on 127.0.0.1 for the tests (bounded time)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from aimass.storage.pgtemp import free_port


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]


@contextmanager
def running_server(
    target: Path,
    database: str,
    *,
    home: Path,
    env: dict[str, str] | None = None,
    timeout: float = 90.0,
) -> Iterator[Server]:
    """``aimass serve TARGET`` in a subprocess; yields it once /readyz answers."""
    port = free_port()
    log = home / f"server-{port}.log"
    full_env = {
        **os.environ,
        "AIMASS_HOME": str(home),
        "OMP_NUM_THREADS": "1",
        "AIMASS_MODEL_THREADS": "1",
        **(env or {}),
    }
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aimass.cli.main",
                "serve",
                str(target),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--database",
                database,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server not ready: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield Server(base, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)

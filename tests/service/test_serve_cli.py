"""``aimass serve``/``aimass keys`` from the command line, and the demo's ending in the
service: coded errors instead of tracebacks, keys shown once, the demo widget without a key."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from aimass.cli.main import app
from aimass.storage.pgtemp import free_port
from aimass.storage.store import Store


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    runner = CliRunner()
    made = runner.invoke(app, ["keys", "create", "--scope", "agent", "--name", "bob", "--db", db])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    assert token.startswith("am_")
    store = Store(f"sqlite:///{db}")
    key = store.verify_key(token)
    assert key is not None and key["scope"] == "agent"
    listed = runner.invoke(app, ["keys", "list", "--db", db])
    assert key["id"] in listed.stdout and "bob" in listed.stdout and token not in listed.stdout
    assert runner.invoke(app, ["keys", "revoke", key["id"], "--db", db]).exit_code == 0
    fresh = Store(f"sqlite:///{db}")  # a server that has not seen the key within KEY_CACHE_S
    assert fresh.verify_key(token) is None
    fresh.close()
    bad = runner.invoke(app, ["keys", "create", "--scope", "root", "--db", db])
    assert bad.exit_code == 1 and "AM805" in bad.output and "Traceback" not in bad.output
    store.close()


def test_serve_refuses_what_it_cannot_serve(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["serve", str(tmp_path), "--db", str(tmp_path / "x.db")])
    assert r.exit_code == 1 and "AM815" in r.output
    r = runner.invoke(app, ["serve", str(tmp_path), "--db", "mysql://x/y"])
    assert r.exit_code == 1 and "AM8" in r.output and "Traceback" not in r.output


def test_a_busy_port_is_a_coded_error(artifact: Path, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = CliRunner().invoke(
            app, ["serve", str(artifact), "--port", str(port), "--db", str(tmp_path / "p.db")]
        )
    assert r.exit_code == 1 and "AM817" in r.output


def test_connections_to_the_workers_shared_socket_get_tcp_nodelay() -> None:
    """``--workers N``: an accepted connection has TCP_NODELAY, or each keep-alive response
    waits on the client's delayed ACK (uvicorn issue #3149: its own shared socket had proto 0)."""
    import asyncio

    from aimass.cli.serve_cmd import listening_socket

    async def nodelay_of_one_accepted(sock: socket.socket) -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Record(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                conn = transport.get_extra_info("socket")
                accepted.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await loop.create_server(Record, sock=sock)  # as uvicorn's Server does
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    with listening_socket("127.0.0.1", 0) as shared:
        # as a worker process receives it: multiprocessing rebuilds it from family, type, proto
        dup = os.dup(shared.fileno())
        in_worker = socket.socket(shared.family, shared.type, shared.proto, fileno=dup)
        assert asyncio.run(nodelay_of_one_accepted(in_worker)) != 0


@pytest.mark.slow
def test_demo_service_chats_without_a_key_and_prints_a_console_key(
    artifact: Path, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    code = (
        "from pathlib import Path; from aimass.cli.serve_cmd import start_service; "
        f"start_service(Path({str(artifact)!r}), port={port}, "
        f"url='sqlite:///{tmp_path / 'demo.db'}', demo=True)"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "AIMASS_HOME": str(tmp_path)}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        printed = log.read_text()
        assert f"{base}/widget/" in printed
        key = re.search(r"/console/#key=(\S+)", printed)
        assert key is not None
        turn = httpx.post(base + "/v1/turns", json={"message": "我想退货怎么办"}, timeout=30)
        assert turn.status_code == 200  # the local demo widget needs no key
        stats = httpx.get(
            base + "/v1/admin/stats", headers={"Authorization": f"Bearer {key.group(1)}"}
        )
        assert stats.status_code == 200 and stats.json()["turns"] == 1
        assert httpx.get(base + "/v1/admin/stats").status_code == 401  # the console does
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_serving_a_project_trains_it_first_once(tiny_backbones: Any, tmp_path: Path) -> None:
    from aimass.cli.serve_cmd import resolve_model
    from aimass.data.scaffold import init_project

    project = init_project(tmp_path / "bot", name="bot", language="both")
    cfg = project / "aimass.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8")
        + f"training:\n  backbone: {tiny_backbones('bert')}\n  epochs: 2\n  batch_size: 8\n"
        "  trim_vocab: false\n  precision: fp32\n  threads: 1\n",
        encoding="utf-8",
    )
    model = resolve_model(project)
    assert (model / "aimass-artifact.json").exists()
    stamp = (model / "aimass-artifact.json").stat().st_mtime_ns
    assert resolve_model(project) == model  # trained once: the next start serves it as is
    assert (model / "aimass-artifact.json").stat().st_mtime_ns == stamp
    assert resolve_model(model) == model  # an artifact folder is served directly

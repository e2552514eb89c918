"""A short, bounded loopback load test against uvicorn: no errors at 1 and 8 concurrent
clients, and under concurrency the model is called with batches of several messages."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aimass.service.app import create_app
from aimass.service.loadtest import run_load
from aimass.service.settings import Settings
from serverkit import InThreadServer


def test_concurrent_clients_get_answers_without_errors_and_are_batched(
    artifact: Path, tmp_path: Path
) -> None:
    app = create_app(
        Settings(
            model=str(artifact),
            database_url=f"sqlite:///{tmp_path / 'l.db'}",
            rate_per_minute=1e6,  # the per-key limit would (rightly) refuse a load test
            rate_burst=10000,
        )
    )
    key = app.state.ctx.store.create_key("client")[1]
    with InThreadServer(app) as server:
        one = asyncio.run(run_load(server.url, key, clients=1, seconds=1.5))
        hist = app.state.ctx.metrics.batch_size
        before = {s.name: s.value for s in hist.collect()[0].samples if not s.labels}
        eight = asyncio.run(run_load(server.url, key, clients=8, seconds=2.0))
        after = {s.name: s.value for s in hist.collect()[0].samples if not s.labels}
    assert one["errors"] == 0 and one["requests"] > 0, one
    assert eight["errors"] == 0 and eight["requests"] > 0, eight
    assert eight["p50_ms"] <= eight["p99_ms"]
    calls = after["aimass_batch_size_count"] - before["aimass_batch_size_count"]
    messages = after["aimass_batch_size_sum"] - before["aimass_batch_size_sum"]
    assert messages >= eight["requests"] and messages / calls > 1.0  # several per model call

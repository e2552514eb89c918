"""A bounded loopback load test of the conversation endpoint.

``python -m aimass.service.loadtest --url http://127.0.0.1:8000 --key CLIENT_KEY
--clients 1,8,32 --seconds 10`` prints one JSON line per concurrency level: requests/s, p50
and p99 latency, error count. Each client sends turns back to back (a closed loop), so
requests/s at 8 and 32 clients show what micro-batching buys.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

MESSAGES = [
    "我想退货怎么办",
    "how do I return an item",
    "我的快递到哪了",
    "where is my parcel",
    "你们支持花呗吗",
    "can I pay with a credit card",
    "what's the weather on Mars",
    "转人工",
]


async def run_load(
    url: str,
    key: str,
    *,
    clients: int,
    seconds: float,
    messages: list[str] | None = None,
) -> dict[str, Any]:
    import httpx

    messages = messages or MESSAGES
    latencies: list[float] = []
    errors = 0
    failures: dict[str, int] = {}
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(i: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        n = 0
        while time.perf_counter() < stop_at:
            body = {"message": messages[(i + n) % len(messages)], "session_id": f"load-{i}"}
            started = time.perf_counter()
            try:
                r = await http.post("/v1/turns", json=body)
                why = "" if r.status_code == 200 else str(r.status_code)
            except Exception as e:
                why = type(e).__name__
                await asyncio.sleep(0.05)  # the server is gone or overloaded: do not spin
            if not why:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1
                failures[why] = failures.get(why, 0) + 1
            n += 1

    async with httpx.AsyncClient(
        base_url=url.rstrip("/"),
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
        limits=limits,
    ) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(i, http) for i in range(clients)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(q: float) -> float:
        if not latencies:
            return 0.0
        return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2)

    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "failures": failures,  # status code or exception name -> count
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True, help="a client key")
    parser.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    for c in (int(x) for x in args.clients.split(",")):
        print(
            json.dumps(asyncio.run(run_load(args.url, args.key, clients=c, seconds=args.seconds)))
        )


if __name__ == "__main__":
    main()

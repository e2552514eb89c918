"""API keys with scopes, per-key rate limits (token bucket) and the request-size limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from aimass.errors import ServiceError
from aimass.service.errors import RateLimited, error_body
from aimass.storage.store import scope_allows


@dataclass(frozen=True)
class Principal:
    key_id: str
    scope: str

    def allows(self, scope: str) -> bool:
        return scope_allows(self.scope, scope)


class TokenBuckets:
    """Per-key token buckets: ``burst`` requests at once, ``per_minute`` sustained."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited((1.0 - tokens) / self.rate)
            self._buckets[key] = (tokens - 1.0, now)


def token_from(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


def require(scope: str) -> Callable[[Request], Principal]:
    """A dependency: the caller's key must exist, be active and allow ``scope``."""

    def dependency(request: Request) -> Principal:
        ctx = request.app.state.ctx
        token = token_from(request)
        if token is None:
            if ctx.settings.anonymous_client and scope == "client":
                host = request.client.host if request.client else "unknown"
                principal = Principal(f"anonymous:{host}", "client")
                ctx.limiter.take(principal.key_id)
                return principal
            raise ServiceError(
                "an API key is required",
                code="AM801",
                hint="send 'Authorization: Bearer <key>' (create one with `aimass keys create`)",
            )
        key = ctx.store.verify_key(token)
        if key is None:
            raise ServiceError(
                "the API key is unknown or revoked", code="AM801", hint="use an active key"
            )
        principal = Principal(key["id"], key["scope"])
        if not principal.allows(scope):
            raise ServiceError(
                f"this key's scope ({principal.scope}) does not allow this request; "
                f"it needs {scope}",
                code="AM802",
                hint=f"use a key with the {scope} scope",
            )
        ctx.limiter.take(principal.key_id)
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency


class BodyLimit:
    """Pure ASGI middleware: refuse bodies over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send)
                    return
        # Read the (small) body up front, counting, then replay it: a chunked body that grows
        # past the limit is refused before the app sees any of it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)

    async def _refuse(self, send: Any) -> None:
        import json

        body = json.dumps(
            error_body("AM804", f"the request body is larger than {self.max_bytes} bytes")
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(chunks: list[bytes], first: Any, receive: Any) -> Any:
    """A ``receive`` that hands back the buffered body once, then defers to the real one."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            if first is not None:
                return first
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        return await receive()

    return replay


# Module-level dependency markers (one instance each, as FastAPI recommends).
CLIENT: Any = Depends(require("client"))
AGENT: Any = Depends(require("agent"))
ADMIN: Any = Depends(require("admin"))

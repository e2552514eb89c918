"""Errors as JSON ``{code, message}`` with the right status; internals never reach a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from aimass.errors import AimassError, ServiceError

log = logging.getLogger("aimass.service")

STATUS = {
    "AM801": 401,
    "AM802": 403,
    "AM803": 429,
    "AM804": 413,
    "AM805": 422,
    "AM806": 422,
    "AM807": 404,
    "AM808": 422,
    "AM809": 503,
    "AM810": 409,
    "AM811": 503,
    "AM812": 405,
    "AM813": 501,
    "AM815": 422,
    "AM816": 500,
}


class RateLimited(ServiceError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(
            "too many requests for this API key",
            code="AM803",
            hint=f"retry after {self.retry_after} s",
        )


def error_body(code: str, message: str, hint: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if hint:
        body["hint"] = hint
    return body


def error_response(code: str, message: str, status: int, hint: str | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(code, message, hint), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(AimassError)
    async def _aimass(_: Request, exc: AimassError) -> JSONResponse:
        resp = error_response(exc.code, exc.message, STATUS.get(exc.code, 422), exc.hint)
        if isinstance(exc, RateLimited):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            return error_response("AM805", "the request body is not valid JSON", 400)
        # name the fields and what is wrong, never echo the values sent
        parts = []
        for e in errs[:5]:
            loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            parts.append(f"{loc or 'body'}: {e.get('msg', 'invalid')}")
        return error_response("AM805", "invalid request: " + "; ".join(parts), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response("AM807", "no such path", 404)
        if exc.status_code == 405:
            return error_response("AM812", "method not allowed on this path", 405)
        return error_response("AM805", "the request cannot be served", exc.status_code)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response("AM800", "internal error; the server log has the details", 500)

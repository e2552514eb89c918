"""One router per resource; each reads the service context from ``request.app.state``."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from aimass.errors import ServiceError

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or invalid API key (AM801)"},
    403: {"description": "the key's scope does not allow this (AM802)"},
    422: {"description": "invalid request (AM805/AM806/AM6xx)"},
    429: {"description": "rate limited (AM803); see Retry-After"},
}


def ctx_of(request: Request) -> Any:
    return request.app.state.ctx


def check_text(request: Request, text: str, field: str = "message") -> str:
    """The service's text-length limit (a coded 422) and the runtime's own checks."""
    from aimass.runtime.assistant import check_message

    limit = ctx_of(request).settings.max_text_chars
    if len(text) > limit:
        raise ServiceError(
            f"{field} is {len(text)} characters long; the limit is {limit}",
            code="AM806",
            hint="shorten the text",
        )
    return check_message(text)

"""A client for any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp's server, LM Studio,
DeepSeek, Qwen/DashScope, OpenAI itself): ``POST {url}/chat/completions``.

Only what AI Mass needs: one chat turn in, the text of the reply out, with a bounded number of
retries for the failures that pass (timeouts, 429 and 5xx), and a coded error for the ones that
do not (no server at the address, a refused key, a model the endpoint does not serve, a reply
that is not an OpenAI-shaped JSON). The API key is read from an environment variable, never
from the command line, so it does not land in shell history or process listings.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aimass.errors import TrainingError

__all__ = ["DEFAULT_KEY_ENV", "ChatEndpoint"]

log = logging.getLogger(__name__)

DEFAULT_KEY_ENV = "AIMASS_GENERATOR_API_KEY"
_RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass
class ChatEndpoint:
    """``url`` is the API's base (ending in ``/v1`` for most servers), ``model`` the name the
    endpoint serves. ``retries`` counts extra tries of one request after a passing failure."""

    url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    retries: int = 2
    backoff: float = 0.5
    requests: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.strip().rstrip("/")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TrainingError(
                f"the generator URL {self.url!r} is not an http(s) address",
                code="AM550",
                hint="e.g. --generator-url http://127.0.0.1:8000/v1 (the API base, up to /v1)",
            )
        if not self.model.strip():
            raise TrainingError(
                "no generator model was named",
                code="AM550",
                hint="pass --generator-model NAME (the name the endpoint serves)",
            )
        if self.timeout <= 0 or self.retries < 0:
            raise TrainingError(
                f"timeout ({self.timeout}) must be positive and retries ({self.retries}) >= 0",
                code="AM550",
            )

    @classmethod
    def from_options(
        cls, url: str, model: str, key_env: str = DEFAULT_KEY_ENV, **kwargs: Any
    ) -> ChatEndpoint:
        """An endpoint whose key comes from the environment variable ``key_env`` (if set)."""
        return cls(url, model, api_key=os.environ.get(key_env) or None, **kwargs)

    def describe(self) -> dict[str, Any]:
        """What a report may show (never the key)."""
        return {"url": self.url, "model": self.model, "requests": self.requests}

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        temperature: float = 0.8,
        max_tokens: int = 256,
        seed: int | None = None,
    ) -> str:
        """The text of the first choice of one chat completion."""
        import httpx

        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if seed is not None:
            body["seed"] = seed
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        address = f"{self.url}/chat/completions"
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            with self._lock:
                self.requests += 1
            try:
                reply = httpx.post(address, json=body, headers=headers, timeout=self.timeout)
            except httpx.ConnectError as e:
                raise TrainingError(
                    f"cannot reach the generative model at {self.url} ({e})",
                    code="AM551",
                    hint="start the endpoint, or correct --generator-url (the API base, e.g. "
                    "http://127.0.0.1:8000/v1)",
                ) from None
            except (httpx.TimeoutException, httpx.TransportError) as e:
                problem = f"no reply within {self.timeout:g} s ({type(e).__name__})"
                continue
            if reply.status_code in (401, 403):
                raise TrainingError(
                    f"the endpoint at {self.url} refused the request ({reply.status_code})",
                    code="AM552",
                    hint=f"put the API key in the environment variable {DEFAULT_KEY_ENV} (or the"
                    " one --generator-key-env names)",
                )
            if reply.status_code == 404:
                raise TrainingError(
                    f"{address} answered 404: no such route, or no model {self.model!r} there",
                    code="AM553",
                    hint="check that --generator-url ends where the API begins (often /v1) and"
                    " that --generator-model is a name the endpoint lists under /models",
                )
            if reply.status_code in _RETRY_STATUS:
                problem = f"HTTP {reply.status_code}: {reply.text[:200]}"
                continue
            if reply.status_code >= 400:
                raise TrainingError(
                    f"the endpoint refused the request: HTTP {reply.status_code}:"
                    f" {reply.text[:300]}",
                    code="AM554",
                    hint="check the model name and that the endpoint speaks the OpenAI chat API",
                )
            try:
                return _first_text(reply.json())
            except (ValueError, KeyError, IndexError, TypeError) as e:
                problem = f"a reply that is not an OpenAI chat completion ({e}): {reply.text[:200]}"
                continue
        raise TrainingError(
            f"the generative model at {self.url} gave no usable reply after"
            f" {self.retries + 1} tries: {problem}",
            code="AM554",
            hint="check the endpoint's health and logs; raise --generator-timeout for a slow one",
        )


def _first_text(payload: Any) -> str:
    content = payload["choices"][0]["message"]["content"]
    if not isinstance(content, str):
        raise TypeError(f"message content is {type(content).__name__}, not text")
    return content

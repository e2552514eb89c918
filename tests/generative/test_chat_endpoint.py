"""The OpenAI-compatible client against endpoints on 127.0.0.1 that fail the ways real ones do:
each failure is a coded error that says what to fix, passing failures are retried, a key from
the environment is sent and never shown."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.responses import PlainTextResponse

from aimass.errors import TrainingError
from aimass.generative import ChatEndpoint
from aimass.storage.pgtemp import free_port
from chatkit import scripted_app
from serverkit import InThreadServer

HELLO = [{"role": "user", "content": "hello"}]


def _endpoint(url: str, **kw: Any) -> ChatEndpoint:
    return ChatEndpoint(url + "/v1", "m", backoff=0.01, **kw)


def test_a_reply_is_the_first_choice_text_and_the_request_is_openai_shaped() -> None:
    app, seen = scripted_app(lambda body, headers: "where is my parcel?")
    with InThreadServer(app) as server:
        reply = _endpoint(server.url).chat(HELLO, temperature=0.3, max_tokens=50, seed=7)
    assert reply == "where is my parcel?"
    assert seen == [
        {"model": "m", "messages": HELLO, "temperature": 0.3, "max_tokens": 50, "seed": 7}
    ]


def test_passing_failures_are_retried() -> None:
    answers = iter([(503, "overloaded"), (429, "slow down"), "ok"])
    app, seen = scripted_app(lambda body, headers: next(answers))
    with InThreadServer(app) as server:
        endpoint = _endpoint(server.url, retries=2)
        assert endpoint.chat(HELLO) == "ok"
    assert len(seen) == 3 and endpoint.describe()["requests"] == 3


@pytest.mark.parametrize(
    ("answer", "code", "tries", "words"),
    [
        ((500, "boom"), "AM554", 2, "HTTP 500"),
        (PlainTextResponse("<html>not json</html>"), "AM554", 2, "not an OpenAI chat completion"),
        ((401, "bad key"), "AM552", 1, "refused"),
        ((404, "no such model"), "AM553", 1, "404"),
        ((400, "max_tokens too large"), "AM554", 1, "max_tokens too large"),
        (2.0, "AM554", 2, "no reply within 0.3 s"),
    ],
)
def test_failures_are_coded_errors(answer: Any, code: str, tries: int, words: str) -> None:
    app, seen = scripted_app(lambda body, headers: answer)
    with InThreadServer(app) as server, pytest.raises(TrainingError) as caught:
        _endpoint(server.url, retries=1, timeout=0.3).chat(HELLO)
    assert caught.value.code == code and words in caught.value.message
    assert caught.value.hint  # says how to fix it
    assert len(seen) == tries  # only passing failures are tried again


def test_no_server_at_the_address_is_am551_without_retrying() -> None:
    endpoint = _endpoint(f"http://127.0.0.1:{free_port()}", retries=3)
    with pytest.raises(TrainingError) as caught:
        endpoint.chat(HELLO)
    assert caught.value.code == "AM551" and "cannot reach" in caught.value.message
    assert endpoint.describe()["requests"] == 1


@pytest.mark.parametrize(
    ("url", "model"),
    [("127.0.0.1:8000/v1", "m"), ("ftp://host/v1", "m"), ("http://", "m"), ("http://h/v1", " ")],
)
def test_bad_settings_are_refused_before_any_request(url: str, model: str) -> None:
    with pytest.raises(TrainingError) as caught:
        ChatEndpoint(url, model)
    assert caught.value.code == "AM550"


def test_the_key_comes_from_the_environment_and_is_never_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_LLM_KEY", "sk-secret")

    def check(body: dict[str, Any], headers: dict[str, str]) -> Any:
        return "ok" if headers.get("authorization") == "Bearer sk-secret" else (401, "no")

    app, _ = scripted_app(check)
    with InThreadServer(app) as server:
        endpoint = ChatEndpoint.from_options(server.url + "/v1", "m", key_env="MY_LLM_KEY")
        assert endpoint.chat(HELLO) == "ok"
        assert "sk-secret" not in repr(endpoint.describe()) + repr(endpoint)
        monkeypatch.delenv("MY_LLM_KEY")
        with pytest.raises(TrainingError) as caught:
            ChatEndpoint.from_options(server.url + "/v1", "m", key_env="MY_LLM_KEY").chat(HELLO)
    assert caught.value.code == "AM552"

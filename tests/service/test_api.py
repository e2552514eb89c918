"""The HTTP API in-process (FastAPI TestClient) on a tiny real model and a real SQLite file:
what a customer, an agent and an admin rely on, security refusals as coded JSON, limits,
metrics, micro-batching and atomic model reload."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from aimass.runtime.assistant import Assistant
from aimass.service.app import create_app
from aimass.service.settings import Settings


class Api:
    def __init__(self, app: Any, client: TestClient) -> None:
        self.app = app
        self.c = client
        store = app.state.ctx.store
        self.keys = {s: store.create_key(s, f"test {s}")[1] for s in ("client", "agent", "admin")}

    def h(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}

    def turn(self, message: str, **kw: Any) -> dict[str, Any]:
        r = self.c.post("/v1/turns", json={"message": message, **kw}, headers=self.h("client"))
        assert r.status_code == 200, r.text
        return r.json()


def make_app(artifact: Path, tmp: Path, assistant: Any = None, **over: Any) -> Any:
    settings = Settings(model=str(artifact), database_url=f"sqlite:///{tmp / 'svc.db'}", **over)
    return create_app(settings, assistant=assistant)


@pytest.fixture(scope="module")
def shared_assistant(artifact: Path) -> Assistant:
    return Assistant.load(artifact)


@pytest.fixture(scope="module")
def api(
    artifact: Path, shared_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    app = make_app(
        artifact,
        tmp_path_factory.mktemp("api"),
        shared_assistant,
        max_body_bytes=4096,
        max_text_chars=300,
        cors_origins=["https://shop.example"],
    )
    with TestClient(app) as client:
        yield Api(app, client)


def test_a_turn_answers_and_is_stored_with_its_decision(api: Api) -> None:
    out = api.turn("我想退货怎么办", user_id="u-1", language="zh")
    assert out["intent"]["name"] == "return_item"
    assert out["reply"] == out["decision"]["reply"] and out["reply"]
    assert out["decision"]["decided_by"] and out["decision"]["reason"]
    assert out["language"] == "zh" and out["model_version"]
    again = api.turn("where is my parcel", session_id=out["session_id"], user_id="u-1")
    assert again["session_id"] == out["session_id"]
    conv = api.c.get(f"/v1/conversations/{out['session_id']}", headers=api.h("agent")).json()
    assert conv["turns"] == 2 and conv["user_id"] == "u-1"
    assert [m["role"] for m in conv["messages"]] == ["user", "bot", "user", "bot"]
    assert conv["turns_detail"][0]["turn_id"] == out["turn_id"]
    assert conv["turns_detail"][0]["decided_by"] == out["decision"]["decided_by"]
    assert conv["turns_detail"][0]["intent"] == "return_item"


def test_intent_only_endpoint_stores_nothing(api: Api) -> None:
    before = api.c.get("/v1/admin/stats", headers=api.h("admin")).json()["turns"]
    r = api.c.post("/v1/intents", json={"message": "你们支持花呗吗"}, headers=api.h("client"))
    assert r.status_code == 200 and r.json()["intent"]["name"] == "payment"
    assert api.c.get("/v1/admin/stats", headers=api.h("admin")).json()["turns"] == before


def test_feedback_thumbs_and_agent_corrections(api: Api) -> None:
    out = api.turn("where is my parcel", user_id="u-fb")
    r = api.c.post(
        "/v1/feedback",
        json={"turn_id": out["turn_id"], "kind": "thumbs", "value": "up"},
        headers=api.h("client"),
    )
    assert r.status_code == 201
    refused = api.c.post(
        "/v1/feedback",
        json={"turn_id": out["turn_id"], "kind": "correction", "corrected_intent": "payment"},
        headers=api.h("client"),
    )
    assert refused.status_code == 403 and refused.json()["code"] == "AM802"
    ok = api.c.post(
        "/v1/feedback",
        json={"turn_id": out["turn_id"], "kind": "correction", "corrected_intent": "payment"},
        headers=api.h("agent"),
    )
    assert ok.status_code == 201
    fb = api.c.get(f"/v1/conversations/{out['session_id']}", headers=api.h("agent")).json()[
        "feedback"
    ]
    assert [(f["kind"], f["value"], f["corrected_intent"]) for f in fb] == [
        ("thumbs", "up", None),
        ("correction", None, "payment"),
    ]
    missing = api.c.post(
        "/v1/feedback",
        json={"turn_id": 10**9, "kind": "thumbs", "value": "up"},
        headers=api.h("client"),
    )
    assert missing.status_code == 404 and missing.json()["code"] == "AM807"


def test_profile_and_right_to_be_forgotten(api: Api) -> None:
    out = api.turn("我是你们的钻石会员", user_id="u-forget")
    prof = api.c.get("/v1/users/u-forget/profile", headers=api.h("agent")).json()
    assert prof["turns"] == 1
    assert api.c.delete("/v1/users/u-forget/profile", headers=api.h("agent")).status_code == 403
    gone = api.c.delete("/v1/users/u-forget/profile", headers=api.h("admin"))
    assert gone.status_code == 200 and gone.json()["deleted"]["messages"] == 2
    assert api.c.get("/v1/users/u-forget/profile", headers=api.h("agent")).status_code == 404
    conv = api.c.get(f"/v1/conversations/{out['session_id']}", headers=api.h("agent"))
    assert conv.status_code == 404
    audit = api.c.get("/v1/admin/audit", headers=api.h("admin")).json()
    assert any(a["action"] == "user.forget" and a["target"] == "u-forget" for a in audit)


def test_handoff_queue(api: Api) -> None:
    out = api.turn("转人工", user_id="u-h")
    assert out["decision"]["kind"] == "handoff" and out["handoff_id"]
    asked = api.c.post(
        "/v1/handoffs",
        json={"session_id": "person-please", "reason": "button"},
        headers=api.h("client"),
    )
    assert asked.status_code == 201
    assert api.c.get("/v1/handoffs", headers=api.h("client")).status_code == 403
    queue = api.c.get("/v1/handoffs?status=waiting", headers=api.h("agent")).json()
    ids = {h["id"] for h in queue}
    assert {out["handoff_id"], asked.json()["id"]} <= ids
    hid = out["handoff_id"]
    claimed = api.c.post(f"/v1/handoffs/{hid}/claim", headers=api.h("agent")).json()
    assert claimed["status"] == "claimed"
    again = api.c.post(f"/v1/handoffs/{hid}/claim", headers=api.h("admin"))
    assert again.status_code == 409 and again.json()["code"] == "AM810"
    sid = out["session_id"]
    reply = api.c.post(
        f"/v1/conversations/{sid}/messages",
        json={"text": "您好，我是客服小王。"},
        headers=api.h("agent"),
    )
    assert reply.status_code == 201
    seen = api.c.get(f"/v1/sessions/{sid}/agent-messages", headers=api.h("client")).json()
    assert [m["text"] for m in seen] == ["您好，我是客服小王。"]
    later = api.c.get(
        f"/v1/sessions/{sid}/agent-messages",
        params={"after": seen[-1]["id"]},
        headers=api.h("client"),
    ).json()
    assert later == []
    assert (
        api.c.post(
            f"/v1/conversations/{sid}/messages", json={"text": "x"}, headers=api.h("client")
        ).status_code
        == 403
    )
    done = api.c.post(
        f"/v1/handoffs/{hid}/resolve", json={"outcome": "solved"}, headers=api.h("agent")
    )
    assert done.json()["status"] == "resolved"


def test_missing_invalid_and_revoked_keys_are_401(api: Api) -> None:
    r = api.c.post("/v1/turns", json={"message": "hi"})
    assert r.status_code == 401 and r.json()["code"] == "AM801"
    assert r.headers["www-authenticate"] == "Bearer"
    r = api.c.post("/v1/turns", json={"message": "hi"}, headers={"X-API-Key": "am_nope"})
    assert r.status_code == 401 and r.json()["code"] == "AM801"
    made = api.c.post("/v1/admin/keys", json={"scope": "client"}, headers=api.h("admin")).json()
    hdr = {"Authorization": f"Bearer {made['token']}"}
    assert api.c.post("/v1/intents", json={"message": "hi"}, headers=hdr).status_code == 200
    api.c.delete(f"/v1/admin/keys/{made['id']}", headers=api.h("admin"))
    assert api.c.post("/v1/intents", json={"message": "hi"}, headers=hdr).status_code == 401
    listed = api.c.get("/v1/admin/keys", headers=api.h("admin")).text
    assert made["token"] not in listed


def test_client_keys_are_refused_on_every_admin_and_agent_route(api: Api) -> None:
    """Walks every operation the OpenAPI spec publishes; only chat, feedback, search and
    asking for a person are open to client keys."""
    client_ops = {
        ("post", "/v1/turns"),
        ("post", "/v1/intents"),
        ("post", "/v1/feedback"),
        ("post", "/v1/handoffs"),
        ("get", "/v1/faqs/search"),
        ("get", "/v1/kb/search"),
        ("get", "/v1/sessions/{session_id}/agent-messages"),
    }
    spec = api.c.get("/openapi.json").json()
    walked = 0
    for path, ops in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method in ops:
            if (method, path) in client_ops:
                continue
            url = path.replace("{", "").replace("}", "")  # any value for path parameters
            r = api.c.request(method, url, headers=api.h("client"), json={})
            assert r.status_code == 403, (method, path, r.status_code)
            assert r.json()["code"] == "AM802"
            walked += 1
    assert walked >= 25


def test_errors_are_coded_json_without_internals(api: Api) -> None:
    bad = api.c.post(
        "/v1/turns",
        content=b'{"message": "SECRET-42',
        headers={**api.h("client"), "content-type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "AM805"
    assert "SECRET-42" not in bad.text and "Traceback" not in bad.text
    extra = api.c.post(
        "/v1/turns", json={"message": "hi", "password": "SECRET-43"}, headers=api.h("client")
    )
    assert extra.status_code == 422 and extra.json()["code"] == "AM805"
    assert "SECRET-43" not in extra.text
    empty = api.c.post("/v1/turns", json={"message": "   "}, headers=api.h("client"))
    assert empty.status_code == 422 and empty.json()["code"] == "AM600"
    long = api.c.post("/v1/turns", json={"message": "好" * 301}, headers=api.h("client"))
    assert long.status_code == 422 and long.json()["code"] == "AM806"
    big = api.c.post("/v1/turns", json={"message": "x" * 5000}, headers=api.h("client"))
    assert big.status_code == 413 and big.json()["code"] == "AM804"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit still holds
        yield b'{"message": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    streamed = api.c.post(
        "/v1/turns",
        content=chunks(),
        headers={**api.h("client"), "content-type": "application/json"},
    )
    assert streamed.status_code == 413 and streamed.json()["code"] == "AM804"
    nf = api.c.get("/v1/nothing-here")
    assert nf.status_code == 404 and nf.json()["code"] == "AM807"
    na = api.c.delete("/v1/turns", headers=api.h("client"))
    assert na.status_code == 405 and na.json()["code"] == "AM812"


def test_cors_allows_only_configured_origins(api: Api) -> None:
    pre = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    ok = api.c.options("/v1/turns", headers={"Origin": "https://shop.example", **pre})
    assert ok.headers.get("access-control-allow-origin") == "https://shop.example"
    no = api.c.options("/v1/turns", headers={"Origin": "https://evil.example", **pre})
    assert no.headers.get("access-control-allow-origin") is None


def test_health_readiness_docs_and_metrics(api: Api) -> None:
    assert api.c.get("/healthz").json()["status"] == "ok"
    ready = api.c.get("/readyz").json()
    assert ready["status"] == "ready" and ready["database"] == "sqlite"
    spec = api.c.get("/openapi.json").json()
    for path in ("/v1/turns", "/v1/intents", "/v1/feedback", "/v1/handoffs", "/v1/admin/reload"):
        assert path in spec["paths"]
    assert api.c.get("/docs").status_code == 200
    api.turn("你们支持花呗吗")
    text = api.c.get("/metrics").text
    assert 'aimass_requests_total{method="POST",route="/v1/turns",status="200"}' in text
    assert "aimass_request_seconds_bucket" in text
    assert 'aimass_decisions_total{kind="' in text
    assert "aimass_model_info{version=" in text
    assert "aimass_batch_size_count" in text


def test_admin_faq_crud_is_audited_and_live(api: Api, shared_assistant: Assistant) -> None:
    listed = api.c.get("/v1/admin/faqs", headers=api.h("admin")).json()
    assert {f["id"] for f in listed} >= {"return-policy", "payment-huabei", "shipping-time"}
    faq = {
        "id": "gift-wrap",
        "questions": ["can you gift wrap my order", "可以包装成礼物吗"],
        "answers": {"en": "Yes, gift wrapping is free.", "zh": "可以，免费礼品包装。"},
    }
    r = api.c.post("/v1/admin/faqs", json=faq, headers=api.h("admin"))
    assert r.status_code == 201 and r.json()["created"] is True
    assert r.json()["live"] is True  # the running model answers with it without retraining
    got = api.c.get("/v1/admin/faqs/gift-wrap", headers=api.h("admin")).json()
    assert got["answers"]["en"] == "Yes, gift wrapping is free."
    hits = api.c.get(
        "/v1/faqs/search", params={"q": "can you gift wrap my order"}, headers=api.h("client")
    ).json()
    assert hits[0]["faq_id"] == "gift-wrap"
    d = api.c.delete("/v1/admin/faqs/gift-wrap", headers=api.h("admin")).json()
    assert d["deleted"] is True
    actions = [a["action"] for a in api.c.get("/v1/admin/audit", headers=api.h("admin")).json()]
    assert "faq.create" in actions and "faq.delete" in actions


def test_admin_kb_crud(api: Api, shared_assistant: Assistant) -> None:
    doc = {
        "id": "warranty",
        "title": "Warranty",
        "text": "# Warranty\n\nAll items carry a two-year warranty.",
    }
    r = api.c.put("/v1/admin/kb/warranty", json=doc, headers=api.h("admin"))
    assert r.status_code == 200 and r.json()["created"] is True
    assert r.json()["live"] is True and r.json()["passages"] >= 1
    hits = api.c.get(
        "/v1/kb/search", params={"q": "two-year warranty"}, headers=api.h("client")
    ).json()
    assert hits and hits[0]["doc_id"] == "warranty"
    assert [d["id"] for d in api.c.get("/v1/admin/kb", headers=api.h("admin")).json()] == [
        "warranty"
    ]
    assert api.c.delete("/v1/admin/kb/warranty", headers=api.h("admin")).json()["deleted"]


def test_try_this_question_shows_the_answer_without_storing(api: Api) -> None:
    before = api.c.get("/v1/admin/stats", headers=api.h("admin")).json()
    r = api.c.post("/v1/admin/try", json={"message": "你们支持花呗吗"}, headers=api.h("admin"))
    assert r.status_code == 200 and r.json()["decision"]["reason"]
    after = api.c.get("/v1/admin/stats", headers=api.h("admin")).json()
    assert after["turns"] == before["turns"]


def test_dashboard_and_labelling_queue(api: Api) -> None:
    api.turn("tell me a joke", user_id="u-d")
    st = api.c.get("/v1/admin/stats", headers=api.h("admin")).json()
    assert st["turns"] >= 1 and 0.0 <= st["containment"] <= 1.0
    assert st["top_intents"] and st["model_version"]
    queue = api.c.get("/v1/review", headers=api.h("agent"))
    assert queue.status_code == 200
    for item in queue.json()[:1]:
        lab = api.c.post(
            f"/v1/review/{item['id']}/label", json={"intent": "oos"}, headers=api.h("agent")
        )
        assert lab.json()["status"] == "labelled"


def test_rate_limit_per_key(artifact: Path, shared_assistant: Assistant, tmp_path: Path) -> None:
    app = make_app(artifact, tmp_path, shared_assistant, rate_burst=3, rate_per_minute=6)
    with TestClient(app) as c:
        store = app.state.ctx.store
        a = {"Authorization": "Bearer " + store.create_key("client")[1]}
        b = {"Authorization": "Bearer " + store.create_key("client")[1]}
        codes = [
            c.post("/v1/intents", json={"message": "hi"}, headers=a).status_code for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        r = c.post("/v1/intents", json={"message": "hi"}, headers=a)
        assert r.json()["code"] == "AM803" and int(r.headers["retry-after"]) >= 1
        assert c.post("/v1/intents", json={"message": "hi"}, headers=b).status_code == 200


def test_concurrent_turns_are_batched_and_each_gets_its_own_answer(
    artifact: Path, shared_assistant: Assistant, tmp_path: Path
) -> None:
    app = make_app(artifact, tmp_path, shared_assistant, batch_max_wait_ms=50, batch_max_size=64)
    token = app.state.ctx.store.create_key("client")[1]
    texts = [t for t, _ in __import__("modelkit").INTENT_ROWS] + ["tell me a joke", "转人工"]
    expected = {t: shared_assistant.respond(t) for t in texts}

    async def run() -> list[dict[str, Any]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            rs = await asyncio.gather(
                *[
                    client.post(
                        "/v1/turns",
                        json={"message": t, "session_id": f"b{i}"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for i, t in enumerate(texts)
                ]
            )
        return [r.json() for r in rs]

    outs = asyncio.run(run())
    for t, out in zip(texts, outs, strict=True):
        exp = expected[t]
        assert out["intent"]["name"] == exp.intent.name, t
        assert out["decision"]["kind"] == exp.decision.kind.value, t
        assert out["reply"] == exp.decision.reply, t
    hist = app.state.ctx.metrics.batch_size
    samples = {s.name: s.value for s in hist.collect()[0].samples if not s.labels}
    assert samples["aimass_batch_size_sum"] == len(texts)
    assert samples["aimass_batch_size_count"] < len(texts) / 2  # far fewer model calls


def test_reload_is_atomic_and_a_failed_load_keeps_serving(artifact: Path, tmp_path: Path) -> None:
    app = make_app(artifact, tmp_path, None)
    token = app.state.ctx.store.create_key("admin")[1]
    h = {"Authorization": f"Bearer {token}"}
    old = app.state.ctx.holder.current

    async def run() -> tuple[list[int], int, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            turns = [
                client.post("/v1/turns", json={"message": "我想退货怎么办"}, headers=h)
                for _ in range(12)
            ]
            reload = client.post("/v1/admin/reload", json={}, headers=h)
            rs = await asyncio.gather(*turns, reload)
            bad = await client.post(
                "/v1/admin/reload", json={"path": str(tmp_path / "no-such-model")}, headers=h
            )
            after = await client.post("/v1/turns", json={"message": "我想退货怎么办"}, headers=h)
        return [r.status_code for r in rs], bad, after

    codes, bad, after = asyncio.run(run())
    assert codes == [200] * 13  # every in-flight turn finished; the reload succeeded
    assert app.state.ctx.holder.current is not old  # swapped to the freshly loaded model
    assert bad.status_code == 422 and bad.json()["code"] == "AM808"
    assert str(tmp_path) not in bad.json()["message"] or "no-such-model" in bad.json()["message"]
    assert after.status_code == 200 and after.json()["intent"]["name"] == "return_item"


def test_anonymous_widget_mode(artifact: Path, shared_assistant: Assistant, tmp_path: Path) -> None:
    app = make_app(artifact, tmp_path, shared_assistant, anonymous_client=True)
    with TestClient(app) as c:
        assert c.post("/v1/turns", json={"message": "hi there"}).status_code == 200
        assert c.get("/v1/handoffs").status_code == 401  # agent routes still need a key


def test_settings_from_environment() -> None:
    s = Settings.from_env(
        {
            "AIMASS_CORS_ORIGINS": "https://a.example, https://b.example",
            "AIMASS_RATE_BURST": "7",
            "AIMASS_ANONYMOUS_CLIENT": "true",
        }
    )
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert s.rate_burst == 7 and s.anonymous_client is True
    from aimass.errors import ServiceError

    with pytest.raises(ServiceError) as e:
        Settings.from_env({"AIMASS_RATE_BURST": "lots"})
    assert e.value.code == "AM805" and "AIMASS_RATE_BURST" in e.value.message
    assert json.loads(json.dumps(s.model_dump()))  # settings are plain data


def test_an_edit_through_one_server_reaches_another_on_the_same_database(
    artifact: Path, tmp_path: Path
) -> None:
    one = make_app(artifact, tmp_path, None, content_poll_s=0)
    two = make_app(artifact, tmp_path, None, content_poll_s=0)  # its own model, same database
    admin = one.state.ctx.store.create_key("admin")[1]
    h = {"Authorization": f"Bearer {admin}"}
    with TestClient(one) as c1, TestClient(two) as c2:
        faq = {"id": "gift-wrap", "questions": ["can you gift wrap my order"], "answer": "Yes."}
        assert c1.put("/v1/admin/faqs/gift-wrap", json=faq, headers=h).json()["live"]
        hits = c2.get("/v1/faqs/search", params={"q": "can you gift wrap my order"}, headers=h)
        assert hits.json()[0]["faq_id"] == "gift-wrap"
        c1.delete("/v1/admin/faqs/gift-wrap", headers=h)
        hits = c2.get("/v1/faqs/search", params={"q": "can you gift wrap my order"}, headers=h)
        assert all(m["faq_id"] != "gift-wrap" for m in hits.json())
    three = make_app(artifact, tmp_path, None)  # a server started later replays the log
    assert all(
        f.faq_id != "gift-wrap" for f in three.state.ctx.holder.current.search_faqs("gift wrap")
    )

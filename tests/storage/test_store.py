"""The service's storage on SQLite and on a real PostgreSQL server: schema created by the
shipped migrations, turns with their decisions, feedback, profiles and the right to be
forgotten, hashed API keys, audit log, hand-off and labelling queues, content, dashboard."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text

from aimass.errors import ServiceError
from aimass.schemas import Decision, DecisionKind, FaqMatch, IntentScore, Response, TagScore
from aimass.storage.db import current_revision
from aimass.storage.models import ApiKey, Message
from aimass.storage.store import Store, hash_token


def make_response(
    text_: str,
    kind: DecisionKind = DecisionKind.ANSWER,
    intent: str = "return_item",
    conf: float = 0.9,
    tags: tuple[str, ...] = (),
    oos: bool = False,
) -> Response:
    return Response(
        text=text_,
        language="zh",
        intents=[IntentScore(name=intent, confidence=conf)],
        out_of_scope=oos,
        tags=[TagScore(name=t, confidence=0.8) for t in tags],
        faqs=[
            FaqMatch(
                faq_id="return-policy",
                score=0.9,
                confidence=0.8,
                matched_question="退货政策",
                answer="七天无理由",
            )
        ],
        decision=Decision(
            kind=kind,
            reply="七天无理由" if kind is DecisionKind.ANSWER else "…",
            source="faq:return-policy",
            decided_by="threshold.faq",
            reason="the FAQ is confident",
            options=["a", "b"] if kind is DecisionKind.CLARIFY else [],
        ),
        model_version="v1",
    )


@pytest.fixture
def store(db_url: str) -> Any:
    s = Store(db_url)
    yield s
    s.close()


HEAD = "0002"


def test_migrations_create_the_schema_and_are_idempotent(db_url: str) -> None:
    s = Store(db_url)
    assert current_revision(s.engine) == HEAD
    s.close()
    again = Store(db_url)  # a second server start migrates nothing and loses nothing
    assert current_revision(again.engine) == HEAD
    again.close()


def test_an_older_database_is_upgraded_on_start_keeping_its_data(db_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from aimass.storage.db import MIGRATIONS, create_engine

    engine = create_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            text(
                "INSERT INTO conversations (id, status, turns, started_at, updated_at) "
                "VALUES ('old', 'open', 3, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    s = Store(db_url)
    assert current_revision(s.engine) == HEAD
    assert s.conversation("old")["turns"] == 3
    s.close()


def test_content_changes_are_replayable_by_every_server(store: Store) -> None:
    last, changes = store.content_changes(0)
    assert changes == []
    store.put_content("faq", {"id": "a", "questions": ["q"], "answer": "1"})
    store.put_content("faq", {"id": "a", "questions": ["q"], "answer": "2"})
    store.put_content("kb", {"id": "d", "title": "t", "text": "x"})
    store.delete_content("kb", "d")
    last, changes = store.content_changes(0)
    assert changes == [
        ("faq", "a", {"id": "a", "questions": ["q"], "answer": "2"}),
        ("kb", "d", None),
    ]
    assert store.content_changes(last) == (last, [])


def test_sqlite_runs_in_wal_mode(tmp_path: Any) -> None:
    s = Store(f"sqlite:///{tmp_path / 'a.db'}")
    with s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    s.close()


def test_a_turn_stores_messages_decision_and_profile(store: Store) -> None:
    ids = store.record_turn(
        make_response("我想退货", tags=("vip",)), conversation_id="s1", user_id="u1"
    )
    store.record_turn(
        make_response("还有", tags=("vip", "new")), conversation_id="s1", user_id="u1"
    )
    conv = store.conversation("s1")
    assert conv["user_id"] == "u1" and conv["turns"] == 2
    assert [m["role"] for m in conv["messages"]] == ["user", "bot", "user", "bot"]
    first = conv["turns_detail"][0]
    assert first["turn_id"] == ids["turn_id"]
    assert first["decided_by"] == "threshold.faq" and first["source"] == "faq:return-policy"
    assert first["intent"] == "return_item" and first["faq_id"] == "return-policy"
    prof = store.profile("u1")
    assert prof["turns"] == 2
    assert {t["name"]: t["count"] for t in prof["tags"]} == {"vip": 2, "new": 1}


def test_handoff_decision_queues_the_conversation_and_agents_claim_it_once(store: Store) -> None:
    ids = store.record_turn(
        make_response("转人工", DecisionKind.HANDOFF, intent="human_agent"),
        conversation_id="s2",
        user_id="u2",
    )
    queue = store.list_handoffs("waiting")
    assert [h["id"] for h in queue] == [ids["handoff_id"]]
    assert store.conversation("s2")["status"] == "handoff"
    claimed = store.claim_handoff(ids["handoff_id"], "agent-a")
    assert claimed["status"] == "claimed" and claimed["claimed_by"] == "agent-a"
    with pytest.raises(ServiceError) as e:
        store.claim_handoff(ids["handoff_id"], "agent-b")
    assert e.value.code == "AM810"
    done = store.resolve_handoff(ids["handoff_id"], "agent-a", "refund issued")
    assert done["status"] == "resolved" and done["outcome"] == "refund issued"
    fb = store.conversation("s2")["feedback"]
    assert [(f["kind"], f["value"]) for f in fb] == [("handoff", "refund issued")]


def test_customer_can_ask_for_a_person_once(store: Store) -> None:
    store.record_turn(make_response("hi"), conversation_id="s3", user_id="u3")
    a = store.request_handoff("s3", reason="talk to a person")
    b = store.request_handoff("s3", reason="again")
    assert a["id"] == b["id"] and a["status"] == "waiting"


def test_low_confidence_and_clarify_turns_go_to_the_labelling_queue(store: Store) -> None:
    store.record_turn(make_response("x", conf=0.2), conversation_id="s4", user_id=None)
    store.record_turn(make_response("y", DecisionKind.CLARIFY), conversation_id="s4", user_id=None)
    store.record_turn(make_response("z", conf=0.95), conversation_id="s4", user_id=None)
    items = store.list_review()
    assert [i["text"] for i in items] == ["x", "y"]
    store.label_review(items[0]["id"], intent="track_order", faq_id=None, actor="k1")
    assert [i["text"] for i in store.list_review()] == ["y"]
    corrections = [f for f in store.conversation("s4")["feedback"] if f["kind"] == "correction"]
    assert corrections[0]["corrected_intent"] == "track_order"


def test_feedback_is_tied_to_its_turn(store: Store) -> None:
    ids = store.record_turn(make_response("退货"), conversation_id="s5", user_id="u5")
    store.add_feedback(kind="thumbs", turn_id=ids["turn_id"], value="up", actor="k")
    store.add_feedback(
        kind="correction", turn_id=ids["turn_id"], corrected_intent="payment", actor="agent"
    )
    rows = store.feedback_for(ids["turn_id"])
    assert [(r["kind"], r["value"], r["corrected_intent"]) for r in rows] == [
        ("thumbs", "up", None),
        ("correction", None, "payment"),
    ]
    with pytest.raises(ServiceError) as e:
        store.add_feedback(kind="thumbs", turn_id=999999, value="up")
    assert e.value.code == "AM807"


def test_forgetting_a_user_deletes_their_messages_and_keeps_others(store: Store) -> None:
    ids = store.record_turn(
        make_response("我是VIP", tags=("vip",)), conversation_id="f1", user_id="gone"
    )
    store.add_feedback(kind="thumbs", turn_id=ids["turn_id"], value="down")
    store.request_handoff("f1")
    store.record_turn(make_response("hello", conf=0.1), conversation_id="f2", user_id="stays")
    counts = store.forget_user("gone")
    assert counts["messages"] == 2 and counts["profiles"] == 1 and counts["conversations"] == 1
    with pytest.raises(ServiceError):
        store.profile("gone")
    with pytest.raises(ServiceError):
        store.conversation("f1")
    with store.session() as s:
        left = s.scalars(select(Message.text)).all()
    assert "我是VIP" not in left and "hello" in left
    assert store.profile("stays")["turns"] == 1
    assert store.list_handoffs() == []


def test_keys_are_stored_hashed_and_revocable(store: Store) -> None:
    info, token = store.create_key("agent", "alice")
    with store.session() as s:
        row = s.get(ApiKey, info["id"])
        assert row is not None and row.token_hash == hash_token(token)
        assert token not in {row.token_hash, row.id, row.name}
    assert store.verify_key(token)["scope"] == "agent"
    assert store.verify_key(token + "x") is None
    assert store.verify_key("not-a-key") is None
    store.revoke_key(info["id"])
    assert store.verify_key(token) is None
    assert store.list_keys()[0]["revoked"] is True
    with pytest.raises(ServiceError):
        store.create_key("root")


def test_content_and_audit_log(store: Store) -> None:
    assert store.seed_content("faq", [{"id": "a", "questions": ["q"], "answer": "x"}]) == 1
    assert store.seed_content("faq", [{"id": "b"}]) == 0  # only an empty table is seeded
    assert store.put_content("faq", {"id": "a", "questions": ["q2"], "answer": "y"}) is False
    assert store.get_content("faq", "a")["answer"] == "y"
    assert store.delete_content("faq", "a") is True
    assert store.list_content("faq") == []
    store.audit("key1", "faq.delete", "a", before={"answer": "y"})
    entry = store.list_audit()[0]
    assert entry["action"] == "faq.delete" and entry["detail"]["before"]["answer"] == "y"


def test_dashboard_numbers(store: Store) -> None:
    store.record_turn(make_response("a"), conversation_id="d1", user_id=None)
    store.record_turn(
        make_response("b", oos=True, intent="oos"), conversation_id="d1", user_id=None
    )
    ids = store.record_turn(
        make_response("c", DecisionKind.HANDOFF), conversation_id="d2", user_id=None
    )
    store.add_feedback(kind="thumbs", turn_id=ids["turn_id"], value="down")
    st = store.stats()
    assert st["turns"] == 3 and st["conversations"] == 2
    assert st["containment"] == 0.5 and st["handoff_rate"] == 0.5
    assert abs(st["out_of_scope_rate"] - 1 / 3) < 1e-9
    assert st["top_intents"][0] == {"name": "return_item", "count": 2}
    assert st["feedback"] == {"up": 0, "down": 1}


def test_concurrent_writers_start_the_same_conversation(store: Store) -> None:
    """Several servers/threads writing the same new conversation: no lost or failed turn."""
    errors: list[BaseException] = []

    def go(i: int) -> None:
        try:
            store.record_turn(make_response(f"m{i}"), conversation_id="race", user_id="ur")
        except BaseException as e:  # pragma: no cover - the failure being tested for
            errors.append(e)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.session() as s:
        n = s.scalar(select(func.count()).select_from(Message).where(Message.role == "user"))
    assert n == 8
    assert store.profile("ur")["turns"] == 8
    assert store.conversation("race")["turns"] == 8


def test_redacted_text_is_what_gets_stored(store: Store) -> None:
    r = make_response("我的手机是13812345678", conf=0.1).model_copy(
        update={"redacted_text": "我的手机是[MOBILE]"}
    )
    store.record_turn(r, conversation_id="pii", user_id="u-pii")
    conv = store.conversation("pii")
    assert conv["messages"][0]["text"] == "我的手机是[MOBILE]"
    assert conv["turns_detail"][0]["text"] == "我的手机是[MOBILE]"
    assert store.list_review()[0]["text"] == "我的手机是[MOBILE]"
    with store.session() as s:
        dump = " ".join(
            str(v)
            for table in ("messages", "decisions", "review_queue")
            for row in s.execute(text(f"SELECT * FROM {table}")).all()
            for v in row
        )
    assert "13812345678" not in dump


def test_the_migrations_build_exactly_the_models(db_url: str) -> None:
    """A model changed without a migration would leave servers with a different schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from aimass.storage.models import Base

    s = Store(db_url)
    with s.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    s.close()
    assert diff == []

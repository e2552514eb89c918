"""Active learning against a real SQLite service database: the most uncertain turns go to the
labelling queue once, and agents' labels come back as training data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aimass.cli.main import app
from aimass.learning.active import export_labels, feed_queue, uncertainty

pytest.importorskip("sqlalchemy")

runner = CliRunner()


def _response(text: str, intents: list[float], faqs: list[tuple[str, float, float, float]]) -> dict:
    return {
        "text": text,
        "intents": [{"name": f"i{j}", "confidence": c} for j, c in enumerate(intents)],
        "faqs": [
            {"faq_id": f, "score": d, "lexical": lx, "fused": d, "confidence": c}
            for f, c, d, lx in faqs
        ],
        "tags": [],
    }


SURE = _response(
    "where is my parcel", [0.97, 0.02], [("track", 0.9, 0.92, 6.0), ("ship", 0.05, 0.7, 1.0)]
)
SPLIT = _response(
    "refund or return?", [0.5, 0.46], [("refund", 0.5, 0.8, 3.0), ("return", 0.45, 0.79, 2.0)]
)
LEGS = _response(
    "cancel shipping", [0.9, 0.05], [("cancel", 0.6, 0.85, 1.0), ("ship", 0.3, 0.8, 7.0)]
)


def test_uncertainty_names_its_reason() -> None:
    assert uncertainty(SURE).score < 0.5
    split = uncertainty(SPLIT)
    assert split.reason == "intent_margin" and split.score > 0.9
    legs = uncertainty(LEGS)
    assert "legs_disagree" in legs.signals


def _db(tmp_path: Path) -> tuple[str, object]:
    from aimass.storage.models import Conversation, DecisionRow, Message
    from aimass.storage.store import Store

    url = f"sqlite:///{tmp_path / 'service.db'}"
    store = Store(url)
    with store.session() as s:
        s.add(Conversation(id="c1", user_id="u1"))
        s.flush()
        for resp in (SURE, SPLIT, LEGS):
            m = Message(conversation_id="c1", user_id="u1", role="user", text=resp["text"])
            s.add(m)
            s.flush()
            s.add(
                DecisionRow(
                    conversation_id="c1",
                    message_id=m.id,
                    user_id="u1",
                    kind="answer",
                    reply="...",
                    source="faq",
                    decided_by="threshold.faq",
                    reason="",
                    intent="i0",
                    intent_confidence=resp["intents"][0]["confidence"],
                    faq_id=resp["faqs"][0]["faq_id"],
                    response=resp,
                )
            )
    return url, store


def test_queue_takes_the_most_uncertain_once_and_labels_flow_back(tmp_path: Path) -> None:
    url, store = _db(tmp_path)
    would = feed_queue(url, budget=1, dry_run=True)
    assert [q["text"] for q in would] == ["refund or return?"]
    assert store.list_review() == []  # a dry run writes nothing
    queued = feed_queue(url, budget=5)
    assert {q["text"] for q in queued} == {"refund or return?", "cancel shipping"}
    assert feed_queue(url, budget=5) == []  # never queued twice
    items = store.list_review()
    assert {i["text"] for i in items} == {"refund or return?", "cancel shipping"}
    # an agent labels one in the console; the label comes back as training data
    first = next(i for i in items if i["text"] == "refund or return?")
    store.label_review(first["id"], intent="refund_request", faq_id="refund", actor="agent1")
    counts = export_labels(url, tmp_path / "labels")
    assert counts == {"intents": 1, "faq_queries": 1}
    rows = (tmp_path / "labels" / "labels.intents.jsonl").read_text(encoding="utf-8")
    assert json.loads(rows) == {"text": "refund or return?", "label": "refund_request"}


def test_learn_command_feeds_the_queue_without_any_reward_yet(tmp_path: Path) -> None:
    url, store = _db(tmp_path)
    res = runner.invoke(
        app,
        [
            "learn",
            str(tmp_path),
            "-f",
            url,
            "--policy",
            str(tmp_path / "p.json"),
            "--queue",
            "5",
            "--export-labels",
            str(tmp_path / "out"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "queued 2 uncertain turns" in res.output
    assert "no stored turn with a reward yet" in res.output
    assert len(store.list_review()) == 2
    assert (tmp_path / "out" / "labels.intents.jsonl").exists()
    res = runner.invoke(
        app,
        [
            "learn",
            str(tmp_path),
            "-f",
            str(tmp_path / "x.jsonl"),
            "--policy",
            "p.json",
            "--queue",
            "1",
        ],
    )
    assert res.exit_code == 1 and "AM593" in res.output

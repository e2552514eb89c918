"""`aimass learn`: feedback from a JSONL export or the service's database, a policy promoted
only when the off-policy gate says it is better."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aimass.cli.main import app
from aimass.learning.bandit import LinearBandit, ShadowExplorer, StaticPolicy
from aimass.learning.feedback import export_row, read_database, read_jsonl, write_jsonl
from aimass.learning.simulator import UserSimulator, demo_bot_queries, lexical_candidates

runner = CliRunner()


def _export(path: Path, turns: int, *, random_rewards: bool = False) -> None:
    """Demo-bot traffic served by the static ranker with logged exploration."""
    queries, faqs = demo_bot_queries()
    cands = lexical_candidates(faqs, [q.text for q in queries], k=5)
    sim = UserSimulator(queries, cands, seed=0)
    explorer = ShadowExplorer(
        StaticPolicy(), StaticPolicy(), explore_floor=0.4, explore_ceiling=0.4, seed=0
    )
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(turns):
        turn = sim.next_turn()
        if not turn.context.candidates:
            continue
        ch = explorer.choose(turn.context)
        r = sim.answer(turn, ch.index)
        if random_rewards:
            r = float(rng.random() < 0.3)
        rows.append(
            export_row(turn.context, ch.index, ch.propensity, r, sim.queries[turn.query].text)
        )
    write_jsonl(path, rows)


def test_learn_from_a_jsonl_export_promotes_a_better_policy(tmp_path: Path) -> None:
    logs = tmp_path / "feedback.jsonl"
    _export(logs, 2500)
    policy = tmp_path / "bandit-policy.json"
    res = runner.invoke(
        app, ["learn", str(tmp_path), "-f", str(logs), "--policy", str(policy), "--json"]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["promoted"], report["reason"]
    assert report["gate"]["candidate"]["low"] > report["gate"]["current"]["value"]
    assert policy.exists() and (tmp_path / "bandit-report.json").exists()
    learned = LinearBandit.load(policy)
    assert learned.updates == report["train_turns"]
    # a second cycle judges against the promoted policy, not the static ranker
    res = runner.invoke(app, ["learn", str(tmp_path), "-f", str(logs), "--policy", str(policy)])
    assert res.exit_code == 0, res.output
    assert "bandit policy" in res.output


def test_learn_keeps_the_current_policy_when_feedback_shows_no_gain(tmp_path: Path) -> None:
    logs = tmp_path / "feedback.jsonl"
    _export(logs, 1200, random_rewards=True)  # rewards unrelated to the answers
    policy = tmp_path / "bandit-policy.json"
    res = runner.invoke(app, ["learn", str(tmp_path), "-f", str(logs), "--policy", str(policy)])
    assert res.exit_code == 0, res.output
    assert "not promoted" in res.output
    assert not policy.exists()


def test_learn_errors_are_coded(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"candidates": [{"faq_id": "a"}], "shown": "a", "propensity": 2}\n')
    res = runner.invoke(app, ["learn", str(tmp_path), "-f", str(bad), "--policy", "p.json"])
    assert res.exit_code == 1 and "AM592" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["learn", str(tmp_path / "nowhere"), "-f", str(bad)])
    assert res.exit_code == 1 and "AM594" in res.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    res = runner.invoke(app, ["learn", str(tmp_path), "-f", str(empty), "--policy", "p.json"])
    assert res.exit_code == 1 and "AM585" in res.output


def test_jsonl_round_trip_keeps_propensities_and_corrections(tmp_path: Path) -> None:
    p = tmp_path / "f.jsonl"
    row = {
        "text": "Can I return it?",
        "tags": ["vip"],
        "candidates": [{"faq_id": "a", "fused": 0.9}, {"faq_id": "b", "fused": 0.8}],
        "shown": "b",
        "propensity": 0.25,
        "reward": 0,
        "corrected_faq_id": "a",
    }
    p.write_text(json.dumps(row) + "\n" + json.dumps({**row, "propensity": None}) + "\n")
    data = read_jsonl(p)
    assert [(t.chosen, t.propensity, t.reward) for t in data.turns] == [
        (1, 0.25, 0.0),
        (1, 1.0, 0.0),
    ]
    assert data.assumed_propensity == 1
    assert data.turns[0].context.tags == ("vip",)
    assert [lab.rewards() for lab in data.labelled] == [{0: 1.0, 1: 0.0}] * 2


def test_feedback_is_read_from_the_service_database(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    from aimass.storage.models import Conversation, DecisionRow, Feedback, Message
    from aimass.storage.store import Store

    url = f"sqlite:///{tmp_path / 'service.db'}"
    store = Store(url)  # the real schema, migrated as the service does
    faqs = [
        {
            "faq_id": "return-policy",
            "score": 0.91,
            "confidence": 0.8,
            "lexical": 5.0,
            "fused": 0.95,
        },
        {
            "faq_id": "refund-timeline",
            "score": 0.85,
            "confidence": 0.1,
            "lexical": 2.0,
            "fused": 0.87,
        },
    ]
    feedback = [
        [("thumbs", "up", None)],
        [("thumbs", "down", None), ("correction", None, "refund-timeline")],
        [("resolved", "false", None), ("resolved", "true", None)],  # the later one wins
        [("handoff", "agent took over", None)],
        [("thumbs", "maybe", None)],  # says nothing
    ]
    with store.session() as s:
        s.add(Conversation(id="c1", user_id="u1"))
        s.flush()
        for i, events in enumerate(feedback):
            m = Message(conversation_id="c1", user_id="u1", role="user", text=f"退货 {i}")
            s.add(m)
            s.flush()
            d = DecisionRow(
                conversation_id="c1",
                message_id=m.id,
                user_id="u1",
                kind="answer",
                reply="...",
                source="faq",
                decided_by="threshold.faq",
                reason="",
                faq_id="return-policy",
                tags=["vip"],
                response={"text": m.text, "faqs": faqs},
            )
            s.add(d)
            s.flush()
            for kind, value, corrected in events:
                s.add(
                    Feedback(
                        decision_id=d.id,
                        conversation_id="c1",
                        kind=kind,
                        value=value,
                        corrected_faq_id=corrected,
                    )
                )
    data = read_database(url)
    assert [t.reward for t in data.turns] == [1.0, 0.0, 1.0, 0.0]
    assert all(t.chosen == 0 and t.propensity == 1.0 for t in data.turns)
    assert data.assumed_propensity == 4  # the service records no propensities yet
    assert [lab.correct for lab in data.labelled] == ["refund-timeline"]
    assert data.skipped == {"no reward": 1}
    assert data.turns[0].context.tags == ("vip",)
    assert data.turns[0].context.key == "退货 0"

"""The service serves a promoted FAQ ranking policy, explores within its caps, and stores each
choice's probability with the turn, so that `aimass learn` reads real propensities from the
database instead of assuming 1 (the loop that makes off-policy evaluation honest)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient

from aimass.learning.bandit import Context, FeatureSpec, LinearBandit
from aimass.learning.cycle import POLICY_FILE
from aimass.learning.feedback import candidates_of, read_database
from aimass.runtime.assistant import Assistant
from aimass.service.app import create_app
from aimass.service.settings import Settings

FAQ_TEXT = "你们支持花呗吗"  # a confident FAQ answer on the tiny demo model
OTHER_TEXT = "转人工"  # a hand-off: not an FAQ's answer


def test_turns_log_the_served_policys_choice_and_learn_reads_it(
    artifact: Path, tmp_path: Path
) -> None:
    model = Path(shutil.copytree(artifact, tmp_path / "model"))
    before = Assistant.load(model).respond(FAQ_TEXT)
    assert before.decision.decided_by == "threshold.faq" and len(before.faqs) >= 2
    ctx = Context.of(
        candidates_of(before.model_dump(mode="json")),
        [t.name for t in before.tags],
        text=before.text,
    )
    bandit = LinearBandit(FeatureSpec(k=5), explore_floor=0.2, explore_ceiling=0.4)
    for _ in range(30):  # learned that the retrieval's second FAQ is the better answer
        bandit.update_full(ctx, {i: float(i == 1) for i in range(len(ctx.candidates))})
    bandit.save(model / POLICY_FILE)
    expected, greedy = bandit.distribution(ctx)
    assert greedy == 1

    url = f"sqlite:///{tmp_path / 'svc.db'}"
    settings = Settings(model=str(model), database_url=url, rate_burst=500)
    app = create_app(settings)  # explore is on by default
    with TestClient(app) as c:
        key = app.state.ctx.store.create_key("client", "test")[1]
        h = {"Authorization": f"Bearer {key}"}
        shown: Counter[str] = Counter()
        for _ in range(60):
            resp = c.post("/v1/turns", json={"message": FAQ_TEXT}, headers=h)
            assert resp.status_code == 200, resp.text
            out = resp.json()
            choice = out["faq_choice"]
            assert choice["policy"].startswith("bandit@")
            assert choice["greedy"] == before.faqs[1].faq_id
            assert abs(choice["propensity"] - expected[choice["rank"]]) < 1e-6
            assert out["decision"]["source"] == f"faq:{choice['shown']}"
            shown[choice["shown"]] += 1
            good = choice["shown"] == before.faqs[1].faq_id
            fb = {"turn_id": out["turn_id"], "kind": "thumbs", "value": "up" if good else "down"}
            assert c.post("/v1/feedback", json=fb, headers=h).status_code == 201
        other = c.post("/v1/turns", json={"message": OTHER_TEXT}, headers=h).json()
        assert other["faq_choice"] is None and other["decision"]["decided_by"] != "threshold.faq"
        fb = {"turn_id": other["turn_id"], "kind": "thumbs", "value": "down"}
        assert c.post("/v1/feedback", json=fb, headers=h).status_code == 201

    # mostly the policy's pick, sometimes another: exploration happened and was bounded
    assert shown.most_common(1)[0][0] == before.faqs[1].faq_id
    assert 0 < sum(n for f, n in shown.items() if f != before.faqs[1].faq_id) < 60 * 0.6

    data = read_database(url)
    assert data.assumed_propensity == 0  # every turn carried the probability it was served with
    assert data.skipped.get("reply was not an FAQ answer") == 1
    assert len(data.turns) == 60
    ids = [c.faq_id for c in ctx.candidates]
    for t in data.turns:
        assert abs(t.propensity - expected[t.chosen]) < 1e-6
        assert t.reward == float(ids[t.chosen] == before.faqs[1].faq_id)
    assert {t.propensity for t in data.turns} != {1.0}

"""The policy with a real (tiny) trained model: training stores the project's policy in the
artifact, the Assistant applies it with a trace on every response, semantic matches use the
model's embeddings, ``aimass policy test`` fails on a wrong expectation, and ``aimass policy
apply`` replaces the rules without retraining."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aimass.cli.main import app
from aimass.runtime.assistant import Assistant
from aimass.schemas import DecisionKind, Response
from modelkit import FAQ_BANK, INTENT_ROWS, tiny_config

runner = CliRunner()

POLICY = {
    "rules": [
        {"id": "pii", "type": "redact"},
        {
            "id": "shipping-time",
            "type": "pinned",
            "match": {"semantic": {"examples": ["how long does shipping take"], "threshold": 0.99}},
            "reply": {"en": "Two to three days.", "zh": "两到三天。"},
        },
        {
            "id": "no-medical",
            "type": "blocked",
            "match": {"keywords": ["吃什么药", "medical advice"]},
            "reply": {"zh": "不能提供医疗建议", "en": "No medical advice."},
        },
        {"id": "ask-human", "type": "escalate", "when": "request"},
    ]
}

TESTS = {
    "tests": [
        {
            "text": "how long does shipping take",
            "expect": {"kind": "answer", "source": "pinned:shipping-time"},
        },
        {"text": "转人工", "expect": {"kind": "handoff", "decided_by": "ask-human"}},
        {"text": "我头疼吃什么药", "expect": {"kind": "refuse", "decided_by": "no-medical"}},
        {
            "text": "我想退货，电话13812345678",
            "expect": {"redacted": "我想退货，电话[MOBILE]", "fired": ["pii"]},
        },
    ]
}


def write_project(root: Path) -> Path:
    rows = [*INTENT_ROWS, ("what's the weather on Mars", "oos"), ("tell me a joke", "oos")]
    intents: dict[str, list[str]] = {}
    for text, label in rows:
        intents.setdefault(label, []).append(text)
    data = root / "data"
    data.mkdir(parents=True)
    (data / "intents.yaml").write_text(
        yaml.safe_dump(
            {"intents": [{"name": n, "examples": ex} for n, ex in intents.items()]},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    faqs = [{"id": fid, "questions": qs, "answer": f"{fid} answer"} for fid, qs in FAQ_BANK.items()]
    (data / "faq.yaml").write_text(
        yaml.safe_dump({"faqs": faqs}, allow_unicode=True), encoding="utf-8"
    )
    (root / "aimass.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "tiny",
                "data": {"intents": ["data/intents.yaml"], "faq": ["data/faq.yaml"]},
                "min_examples_per_intent": 1,
            }
        ),
        encoding="utf-8",
    )
    (root / "policy.yaml").write_text(yaml.safe_dump(POLICY, allow_unicode=True), encoding="utf-8")
    (root / "policy_tests.yaml").write_text(
        yaml.safe_dump(TESTS, allow_unicode=True), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module")
def project(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    from aimass.training.from_project import train_project

    root = write_project(tmp_path_factory.mktemp("policy-bot") / "bot")
    overrides = tiny_config(tiny_backbones("bert"), epochs=40).model_dump()
    train_project(root, root / ".aimass" / "model", overrides=overrides, progress=False)
    return root


def test_training_stores_the_policy_and_every_response_has_a_trace(project: Path) -> None:
    runtime = json.loads((project / ".aimass/model/runtime.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in runtime["policy"]["rules"]] == [
        "pii",
        "shipping-time",
        "no-medical",
        "ask-human",
    ]
    bot = Assistant.load(project / ".aimass" / "model")
    r = bot.respond("how long does shipping take")
    assert (r.decision.kind, r.decision.decided_by) == (DecisionKind.ANSWER, "shipping-time")
    assert r.decision.trace[1].detail.startswith("semantic 1.00")
    r = bot.respond("我想退货，电话 138 1234 5678", session_id="s")
    assert r.redacted_text == "我想退货，电话 [MOBILE]"
    assert r.text.endswith("5678")  # the original stays available to the caller only
    assert [s.rule for s in r.decision.trace][-1] == "confidence"
    assert Response.model_validate_json(r.model_dump_json()) == r


def test_policy_test_passes_then_fails_on_a_wrong_expectation(project: Path) -> None:
    result = runner.invoke(app, ["policy", "test", str(project)])
    assert result.exit_code == 0, result.output
    assert "4 passed, 0 failed" in result.output

    wrong = project / "wrong_tests.yaml"
    wrong.write_text(
        "tests:\n"
        "  - text: 转人工\n"
        "    expect: {kind: answer}\n"
        "  - text: how long does shipping take\n"
        "    expect: {decided_by: shipping-time}\n"
        "  - text: 我头疼吃什么药\n"
        "    expect: {source: 'pinned:x'}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "test", str(project), str(wrong)])
    assert result.exit_code == 1
    assert "wrong_tests.yaml:2: '转人工': kind: expected answer" in result.output
    assert "wrong_tests.yaml:6: '我头疼吃什么药': source: expected pinned:x" in result.output
    assert "1 passed, 2 failed" in result.output


def test_policy_apply_replaces_the_rules_without_retraining(project: Path, tmp_path: Path) -> None:
    import shutil

    artifact = tmp_path / "model"
    shutil.copytree(project / ".aimass" / "model", artifact)
    before = Assistant.load(artifact)
    assert before.respond("我头疼吃什么药").decision.decided_by == "no-medical"
    version = before.model_version

    changed = tmp_path / "bot"
    shutil.copytree(project, changed, ignore=shutil.ignore_patterns(".aimass"))
    policy = dict(POLICY)
    policy["rules"] = [r for r in POLICY["rules"] if r["id"] != "no-medical"]
    (changed / "policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), "utf-8")
    result = runner.invoke(app, ["policy", "apply", str(changed), "--model", str(artifact)])
    assert result.exit_code == 0, result.output
    after = Assistant.load(artifact)
    assert after.model_version == version
    assert after.respond("我头疼吃什么药").decision.decided_by != "no-medical"
    # the artifact's own policy is what `policy test ARTIFACT` checks
    result = runner.invoke(
        app, ["policy", "test", str(artifact), str(project / "policy_tests.yaml")]
    )
    assert result.exit_code == 1 and "'我头疼吃什么药'" in result.output


def test_ask_json_shows_the_trace(project: Path) -> None:
    result = runner.invoke(app, ["ask", "转人工", "-m", str(project), "--json"])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)["decision"]
    assert decision["decided_by"] == "ask-human"
    assert [s["rule"] for s in decision["trace"]] == [
        "pii",
        "shipping-time",
        "no-medical",
        "ask-human",
    ]

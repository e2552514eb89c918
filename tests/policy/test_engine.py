"""The policy engine on synthetic model outputs (no model): rules run in order, the first that
decides wins, every response carries the trace, and escalation remembers the session."""

from __future__ import annotations

import functools
import time

import numpy as np

from aimass.config.project import Replies, Thresholds
from aimass.policy import InMemorySessionStore, Policy, PolicyConfig, Turn
from aimass.policy.session import SessionState
from aimass.runtime.decide import IntentInfo, decide
from aimass.schemas import DecisionKind, FaqMatch, IntentScore, TagScore

HANDOFF = {"zh": "正在转人工", "en": "connecting you"}

RULES = {
    "rules": [
        {"id": "pii", "type": "redact"},
        {
            "id": "abuse",
            "type": "sensitive",
            "words": {"zh": ["废物", "骗子"], "en": ["idiot", "ass"]},
            "reply": {"zh": "请文明用语", "en": "please be civil"},
        },
        {
            "id": "hours",
            "type": "pinned",
            "match": {
                "exact": ["客服几点上班"],
                "regex": ["customer service.{0,10}hours"],
            },
            "reply": {"zh": "每天 8:00-23:00", "en": "daily 8:00-23:00"},
        },
        {
            "id": "medical",
            "type": "blocked",
            "match": {"keywords": ["吃什么药", "medical advice"]},
            "reply": {"zh": "不能提供医疗建议", "en": "no medical advice"},
        },
        {"id": "ask-human", "type": "escalate", "when": "request"},
        {
            "id": "angry",
            "type": "escalate",
            "when": "tag",
            "tags": ["complaint_risk"],
            "queue": "complaints",
        },
        {
            "id": "vip",
            "type": "escalate",
            "when": "tag",
            "tags": ["vip"],
            "queue": "vip",
            "only_when_unsure": True,
        },
        {"id": "three-strikes", "type": "escalate", "when": "low_confidence", "turns": 3},
    ]
}


def make_policy(rules: dict | None = None, **kw: object) -> Policy:
    return Policy(
        PolicyConfig.model_validate(rules or RULES),
        handoff_reply=HANDOFF,
        **kw,  # type: ignore[arg-type]
    )


def confident(text: str, **kw: object) -> Turn:
    """A message the model answers confidently from an FAQ."""
    faq = FaqMatch(
        faq_id="return-policy",
        score=0.95,
        confidence=0.97,
        matched_question=text,
        answer="七天无理由退货",
    )
    return _turn(text, intents=[IntentScore(name="return_item", confidence=0.96)], faqs=[faq], **kw)


def unsure(text: str, **kw: object) -> Turn:
    """A message the model calls out of scope."""
    return _turn(text, intents=[IntentScore(name="oos", confidence=0.9)], oos=True, **kw)


def _turn(
    text: str,
    *,
    intents: list[IntentScore],
    faqs: list[FaqMatch] | None = None,
    oos: bool = False,
    tags: list[TagScore] | None = None,
    session: str | None = None,
) -> Turn:
    faqs = faqs or []
    default = functools.partial(
        decide,
        intents=intents,
        out_of_scope=oos,
        faqs=faqs,
        language="zh",
        thresholds=Thresholds(),
        replies=Replies(),
        intent_info={"return_item": IntentInfo(responses={"zh": "退货说明"})},
        handoff_intents=["human_agent"],
        faq_titles={},
    )
    return Turn(
        text=text,
        language="zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en",
        default=default,
        intents=intents,
        out_of_scope=oos,
        faqs=faqs,
        tags=tags or [],
        session_id=session,
    )


def test_the_default_rule_decides_when_no_rule_fires_and_the_trace_lists_every_rule() -> None:
    result = make_policy().decide(confident("我想退货"))
    d = result.decision
    assert d.kind is DecisionKind.ANSWER and d.decided_by == "threshold.faq"
    assert [s.rule for s in d.trace] == [
        "pii", "abuse", "hours", "medical", "ask-human", "angry", "vip", "three-strikes",
        "confidence",
    ]  # fmt: skip
    assert [s.fired for s in d.trace] == [False] * 8 + [True]
    assert d.trace[-1].kind == "confidence" and "threshold.faq" in d.trace[-1].detail
    assert result.redacted_text is None


def test_no_policy_is_the_plain_decision_rule() -> None:
    turn = confident("我想退货")
    d = Policy(None).decide(turn).decision
    assert d.model_copy(update={"trace": []}) == turn.default()
    assert [s.rule for s in d.trace] == ["confidence"]


def test_first_deciding_rule_wins_and_later_rules_do_not_run() -> None:
    d = make_policy().decide(confident("客服几点上班？")).decision
    assert (d.kind, d.source, d.decided_by) == (DecisionKind.ANSWER, "pinned:hours", "hours")
    assert d.reply == "每天 8:00-23:00"
    assert [s.rule for s in d.trace] == ["pii", "abuse", "hours"]
    assert d.trace[-1].fired and d.trace[-1].detail == "exact phrase"


def test_pinned_regex_answers_in_the_message_language() -> None:
    d = make_policy().decide(unsure("What are your Customer Service hours?")).decision
    assert d.decided_by == "hours" and d.reply == "daily 8:00-23:00"


def test_blocked_topic_refuses() -> None:
    d = make_policy().decide(confident("我头疼吃什么药")).decision
    assert (d.kind, d.source, d.decided_by) == (DecisionKind.REFUSE, "blocked:medical", "medical")


def test_sensitive_words_caught_in_traditional_and_full_width_forms() -> None:
    policy = make_policy()
    for text in (
        "你们这群废物",
        "你們這群廢物",
        "你们是骗子",
        "你們是騙子",
        "ＩＤＩＯＴ",
        "You Idiot",
    ):
        d = policy.decide(confident(text)).decision
        assert (d.kind, d.decided_by) == (DecisionKind.REFUSE, "abuse"), text
    # English words only at word boundaries: "ass" is not in "class"
    assert policy.decide(confident("a classic glass")).decision.decided_by == "threshold.faq"


def test_masking_maps_back_to_the_original_characters() -> None:
    rules = {
        "rules": [
            {"id": "mask", "type": "sensitive", "action": "mask", "words": {"zh": ["骗子"]}},
            {"id": "pii", "type": "redact"},
        ]
    }
    result = make_policy(rules).decide(confident("你們是騙子，電話１３８１２３４５６７８"))
    assert result.redacted_text == "你們是**，電話[MOBILE]"
    assert result.decision.decided_by == "threshold.faq"  # masking does not decide
    fired = [(s.rule, s.fired) for s in result.decision.trace]
    assert fired == [("mask", True), ("pii", True), ("confidence", True)]
    assert "mobile" in result.decision.trace[1].detail
    assert "138" not in result.decision.trace[1].detail  # the trace never shows the number


def test_explicit_requests_for_a_person_in_both_languages() -> None:
    policy = make_policy()
    for text in (
        "转人工",
        "轉人工",
        "人工！",
        "我要人工客服",
        "找真人",
        "给我找个客服",
        "Ｉ want a HUMAN",
        "let me talk to an agent",
        "can I speak to a real person",
        "I want to talk to someone",
    ):
        d = policy.decide(confident(text)).decision
        assert (d.kind, d.decided_by, d.source) == (
            DecisionKind.HANDOFF,
            "ask-human",
            "handoff:agents",
        ), text
        assert d.reply in HANDOFF.values()
    for text in (
        "人工智能音箱有哪些",
        "安装要人工费吗",
        "人工草坪多少钱",
        "有真人秀同款吗",
        "humane society",
        "is this human hair",
        "is DHL your shipping agent",
    ):
        assert policy.decide(confident(text)).decision.decided_by != "ask-human", text


def test_three_low_confidence_turns_in_a_row_hand_off_and_a_confident_turn_resets() -> None:
    policy = make_policy()
    kinds = [
        policy.decide(unsure(t, session="s1")).decision
        for t in ("火星天气", "讲个笑话", "股市怎么样")
    ]
    assert [d.kind for d in kinds] == [
        DecisionKind.FALLBACK,
        DecisionKind.FALLBACK,
        DecisionKind.HANDOFF,
    ]
    assert kinds[2].decided_by == "three-strikes"
    assert "3 low-confidence turns" in kinds[2].trace[-1].detail
    # after a hand-off the count starts again; a confident answer also resets it
    s2 = [unsure("a", session="s2"), unsure("b", session="s2"), confident("退货", session="s2")]
    s2 += [unsure("c", session="s2"), unsure("d", session="s2")]
    assert [policy.decide(t).decision.decided_by for t in s2][-1] == "threshold.oos"
    # other sessions and messages without a session do not count
    assert policy.decide(unsure("x")).decision.decided_by == "threshold.oos"
    assert policy.decide(unsure("y", session="s3")).decision.decided_by == "threshold.oos"


def test_tag_escalation_from_the_message_or_remembered_for_the_session() -> None:
    policy = make_policy()
    angry = [TagScore(name="complaint_risk", confidence=0.8)]
    d = policy.decide(confident("我的快递呢", tags=angry, session="a")).decision
    assert (d.kind, d.source, d.decided_by) == (DecisionKind.HANDOFF, "handoff:complaints", "angry")
    # a later message in the same session: the tag is remembered
    d = policy.decide(confident("我想退货", session="a")).decision
    assert d.decided_by == "angry" and "session" in d.trace[-1].detail
    # a weak prediction is below the rule's min_confidence
    weak = [TagScore(name="complaint_risk", confidence=0.3)]
    assert policy.decide(confident("我想退货", tags=weak)).decision.decided_by == "threshold.faq"


def test_vip_goes_to_the_vip_queue_only_when_the_bot_is_unsure() -> None:
    store = InMemorySessionStore()
    policy = make_policy(sessions=store)
    store.remember_tags("v", ["vip"])
    assert policy.decide(confident("我想退货", session="v")).decision.decided_by == "threshold.faq"
    d = policy.decide(unsure("火星天气", session="v")).decision
    assert (d.source, d.decided_by) == ("handoff:vip", "vip")


def test_semantic_match_uses_the_embedding_function() -> None:
    vocab = ["hours", "refund", "weather"]

    def embed(texts: list[str]) -> np.ndarray:  # bag of known words, L2-normalised
        v = np.array([[float(w in t.lower()) for w in vocab] for t in texts]) + 1e-6
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    rules = {
        "rules": [
            {
                "id": "hours",
                "type": "pinned",
                "match": {"semantic": {"examples": ["your opening hours"], "threshold": 0.9}},
                "reply": {"en": "8-23"},
            }
        ]
    }
    policy = make_policy(rules)
    assert policy.decide(unsure("hours?")).decision.decided_by == "threshold.oos"  # no model
    policy.prepare(embed)
    d = policy.decide(unsure("what are the hours")).decision
    assert d.decided_by == "hours" and d.trace[0].detail.startswith("semantic 1.00")
    assert policy.decide(unsure("refund please")).decision.decided_by == "threshold.oos"
    # a vector the runtime computed already (its batch's embeddings) is used as it is: the
    # message is not encoded a second time, one forward pass per message in the service
    calls: list[list[str]] = []
    policy.prepare(lambda texts: calls.append(texts) or embed(texts))
    calls.clear()
    turn = unsure("what are the hours")
    turn.vector = embed(["opening hours"])[0]
    assert policy.decide(turn).decision.decided_by == "hours" and calls == []
    turn = unsure("what are the hours")
    turn.vector = embed(["refund"])[0]  # the given vector decides, not the text
    assert policy.decide(turn).decision.decided_by == "threshold.oos" and calls == []


def test_session_store_is_bounded_and_forgets_idle_sessions() -> None:
    store = InMemorySessionStore(cap=2, ttl_s=0.05)
    for sid in ("a", "b", "c"):
        store.put(sid, SessionState(low_streak=1))
    assert len(store) == 2 and store.get("a").low_streak == 0  # evicted, oldest first
    assert store.get("c").low_streak == 1
    time.sleep(0.06)
    assert store.get("c").low_streak == 0  # expired


def test_redaction_runs_even_when_listed_after_the_rule_that_decided() -> None:
    rules = {
        "rules": [
            {"id": "ask-human", "type": "escalate", "when": "request"},
            {"id": "pii", "type": "redact"},
        ]
    }
    result = make_policy(rules).decide(confident("转人工，我的电话13812345678"))
    assert result.decision.decided_by == "ask-human"
    assert result.redacted_text == "转人工，我的电话[MOBILE]"
    assert [(s.rule, s.fired) for s in result.decision.trace] == [
        ("ask-human", True),
        ("pii", True),
    ]


def test_a_weak_tag_guess_is_not_remembered_for_the_session() -> None:
    policy = make_policy()
    weak = [TagScore(name="complaint_risk", confidence=0.3)]
    assert policy.decide(confident("我想退货", tags=weak, session="w")).decision.decided_by == (
        "threshold.faq"
    )
    assert policy.decide(confident("我想退货", session="w")).decision.decided_by == "threshold.faq"

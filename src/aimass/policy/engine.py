"""The policy engine: ordered rules turn the model's reading of a message into a decision.

The runtime first runs the model (intents, out of scope, profile tags, FAQ matches); the
policy then evaluates its rules in order. A rule either decides (pinned answer, blocked topic,
sensitive words, escalation) and ends the evaluation, or only annotates (redaction, masking)
and lets the next rule go on. The last step is always the default decision rule
(``aimass.runtime.decide``). Every evaluated rule is a ``TraceStep`` on the decision, so a
response says which rules ran, which fired, and which one decided.

The engine needs no model: it takes plain records (``Turn``), so it can be tested on synthetic
inputs; an embedding function is only needed for semantic matches.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aimass.policy.config import (
    BlockedRule,
    ConfidenceRule,
    EscalateRule,
    PinnedRule,
    PolicyConfig,
    RedactRule,
    SensitiveRule,
)
from aimass.policy.matchers import PhraseMatcher, WordMatcher
from aimass.policy.normalize import Normalized, normalize
from aimass.policy.redact import find_pii
from aimass.policy.session import InMemorySessionStore, SessionState, SessionStore
from aimass.runtime.decide import reply_in
from aimass.schemas import Decision, DecisionKind, FaqMatch, IntentScore, TagScore, TraceStep

__all__ = ["Policy", "PolicyResult", "Turn", "is_low_confidence"]

Embed = Callable[[list[str]], np.ndarray]

# An explicit request for a person, matched on the normalised message. Words such as 人工,
# 真人, human or agent are common in product talk (人工智能, 人工草坪, 人工费, 真人秀, human hair,
# shipping agent), so they count only in a request ("转人工", "人工客服", "talk to an agent") or
# as the whole message ("人工！", "agent").
_REQUEST_PATTERNS = [
    r"^\W*(人工|真人|人工客服|真人客服|客服|human|agent|representative|operator)\W*$",
    r"(转|找|要|接|叫|换|呼叫|联系)(一?个|一下)?(真人|活人|人工)(?!智能|费|成本|草|花|皮|合成|材料|秀)",
    r"人工(客服|服务|坐席|座席|专员|在吗|在不在)|(真人|活人)(客服|服务|回复)",
    r"(找|要|叫|转|接|换)(个|一个|一下)?(真的)?(客服|小二|工作人员|服务人员)",
    r"客服(人员|专员|经理|主管)",
    r"\b(live|real|human) (agent|person|people|operator|support|representative)\b",
    r"\b(talk|speak|chat|connect|transfer|put)\b.{0,25}\b(human|agent|representative|operator"
    r"|person|someone|somebody|staff|people)\b",
    r"\b(need|want|get)\b.{0,10}\b(human|agent|representative|operator)s?\b",
]
_REQUEST = re.compile("|".join(f"(?:{p})" for p in _REQUEST_PATTERNS), re.IGNORECASE)


def is_low_confidence(decision: Decision) -> bool:
    """A turn where the bot could not answer with confidence (counts toward escalation)."""
    return decision.kind in (DecisionKind.CLARIFY, DecisionKind.FALLBACK) or (
        decision.kind is DecisionKind.HANDOFF and decision.decided_by == "threshold.unsure"
    )


@dataclass
class Turn:
    """One message as the model read it; ``default`` is the default decision rule's verdict
    (computed only when a rule needs it)."""

    text: str
    language: str
    default: Callable[[], Decision]
    intents: list[IntentScore] = field(default_factory=list)
    out_of_scope: bool = False
    tags: list[TagScore] = field(default_factory=list)
    faqs: list[FaqMatch] = field(default_factory=list)
    session_id: str | None = None
    user_id: str | None = None
    # The message's embedding when the caller computed it already (the runtime embeds a
    # whole batch at once); else semantic rules embed the message themselves.
    vector: np.ndarray | None = None


@dataclass
class PolicyResult:
    decision: Decision  # carries the trace
    redacted_text: str | None  # None when nothing was masked


@dataclass
class _Context:
    turn: Turn
    norm: Normalized
    state: SessionState
    embed: Embed | None
    masks: list[tuple[int, int, str]] = field(default_factory=list)  # original spans
    _default: Decision | None = None
    _vector: np.ndarray | None = None
    _embedded: bool = False

    def default(self) -> Decision:
        if self._default is None:
            self._default = self.turn.default()
        return self._default

    def vector(self) -> np.ndarray | None:
        if not self._embedded:
            self._embedded = True
            if self.turn.vector is not None:
                self._vector = np.asarray(self.turn.vector, dtype=np.float32)
            elif self.embed is not None:
                self._vector = np.asarray(self.embed([self.turn.text])[0], dtype=np.float32)
        return self._vector


@dataclass
class _Outcome:
    fired: bool
    detail: str
    decision: Decision | None = None


class _Step:
    kind = ""
    annotates = False  # never decides, only changes what is stored (redaction, masking)

    def __init__(self, rule: Any) -> None:
        self.rule = rule
        self.id: str = rule.id

    def prepare(self, embed: Embed) -> None:
        pass

    def evaluate(self, ctx: _Context) -> _Outcome:
        raise NotImplementedError


class _Matched(_Step):
    """Pinned answers and blocked topics: a ``Match`` and a fixed reply."""

    def __init__(self, rule: PinnedRule | BlockedRule) -> None:
        super().__init__(rule)
        self.kind = rule.type
        self.matcher = PhraseMatcher(rule.match)

    def prepare(self, embed: Embed) -> None:
        self.matcher.prepare(embed)

    def evaluate(self, ctx: _Context) -> _Outcome:
        found = self.matcher.find(ctx.norm, ctx.vector)
        if found is None:
            return _Outcome(False, "no match")
        pinned = self.kind == "pinned"
        return _Outcome(
            True,
            found,
            Decision(
                kind=DecisionKind.ANSWER if pinned else DecisionKind.REFUSE,
                reply=reply_in(self.rule.reply, ctx.turn.language),
                source=f"{self.kind}:{self.id}",
                decided_by=self.id,
                reason=(
                    f"pinned answer {self.id} ({found})"
                    if pinned
                    else f"blocked topic {self.id} ({found})"
                ),
            ),
        )


class _Sensitive(_Step):
    kind = "sensitive"

    def __init__(self, rule: SensitiveRule, handoff_reply: dict[str, str]) -> None:
        super().__init__(rule)
        self.words = WordMatcher(list(itertools.chain.from_iterable(rule.words.values())))
        self.handoff_reply = handoff_reply
        self.annotates = rule.action == "mask"

    def evaluate(self, ctx: _Context) -> _Outcome:
        hits = self.words.find(ctx.norm.text)
        if not hits:
            return _Outcome(False, "no sensitive word")
        words = sorted({h.word for h in hits})
        detail = f"{len(hits)} sensitive word(s): {', '.join(words[:5])}"
        rule: SensitiveRule = self.rule
        if rule.action == "mask":
            for h in hits:
                start, end = ctx.norm.span(h.start, h.end)
                ctx.masks.append((start, end, "*" * (end - start)))
            return _Outcome(True, detail + " (masked)")
        handoff = rule.action == "handoff"
        return _Outcome(
            True,
            detail,
            Decision(
                kind=DecisionKind.HANDOFF if handoff else DecisionKind.REFUSE,
                reply=reply_in(rule.reply or self.handoff_reply, ctx.turn.language),
                source="handoff" if handoff else f"sensitive:{self.id}",
                decided_by=self.id,
                reason=f"the message contains sensitive words ({self.id})",
            ),
        )


class _Redact(_Step):
    kind = "redact"
    annotates = True

    def evaluate(self, ctx: _Context) -> _Outcome:
        rule: RedactRule = self.rule
        found = find_pii(ctx.turn.text, list(rule.kinds))
        if not found:
            return _Outcome(False, "no personal data")
        for m in found:
            kind_mask = rule.mask.replace("{kind}", m.kind).replace("{KIND}", m.kind.upper())
            ctx.masks.append((m.start, m.end, kind_mask))
        kinds = sorted({m.kind for m in found})
        return _Outcome(True, f"redacted {len(found)}: {', '.join(kinds)}")


class _Escalate(_Step):
    kind = "escalate"

    def __init__(self, rule: EscalateRule, handoff_reply: dict[str, str]) -> None:
        super().__init__(rule)
        self.phrases = WordMatcher(rule.phrases)
        self.handoff_reply = handoff_reply

    def evaluate(self, ctx: _Context) -> _Outcome:
        rule: EscalateRule = self.rule
        if rule.when == "request":
            fired, why = self._request(ctx)
        elif rule.when == "low_confidence":
            fired, why = self._low_confidence(ctx)
        else:
            fired, why = self._tag(ctx)
        if fired and rule.only_when_unsure and not is_low_confidence(ctx.default()):
            fired, why = False, f"{why}, but the bot is confident"
        if not fired:
            return _Outcome(False, why)
        return _Outcome(
            True,
            why,
            Decision(
                kind=DecisionKind.HANDOFF,
                reply=reply_in(rule.reply or self.handoff_reply, ctx.turn.language),
                source=f"handoff:{rule.queue}",
                decided_by=self.id,
                reason=f"escalation {self.id}: {why}",
            ),
        )

    def _request(self, ctx: _Context) -> tuple[bool, str]:
        hits = self.phrases.find(ctx.norm.text)
        if hits:
            return True, f"asked for a person ({hits[0].word!r})"
        m = _REQUEST.search(ctx.norm.text)
        return (True, f"asked for a person ({m.group()!r})") if m else (False, "no request")

    def _low_confidence(self, ctx: _Context) -> tuple[bool, str]:
        if not is_low_confidence(ctx.default()):
            return False, "this turn is confident"
        streak = ctx.state.low_streak + 1
        turns = self.rule.turns
        if streak < turns:
            return False, f"{streak} low-confidence turn(s) in a row (limit {turns})"
        return True, f"{streak} low-confidence turns in a row"

    def _tag(self, ctx: _Context) -> tuple[bool, str]:
        rule: EscalateRule = self.rule
        predicted = {t.name for t in ctx.turn.tags if t.confidence >= rule.min_confidence}
        for tag in rule.tags:
            if tag in predicted:
                return True, f"profile tag {tag}"
            if tag in ctx.state.tags:
                return True, f"profile tag {tag} (known for the session)"
        return False, "no listed tag"


class _Confidence(_Step):
    kind = "confidence"

    def evaluate(self, ctx: _Context) -> _Outcome:
        d = ctx.default()
        return _Outcome(True, f"{d.kind.value} by {d.decided_by}", d)


class Policy:
    """A bot's compiled rules. One instance serves every message (thread-safe: the only
    shared state is the session store, which locks)."""

    def __init__(
        self,
        config: PolicyConfig | None = None,
        *,
        handoff_reply: dict[str, str] | None = None,
        sessions: SessionStore | None = None,
    ) -> None:
        self.config = config or PolicyConfig()
        reply = handoff_reply or {}
        self.sessions: SessionStore = sessions if sessions is not None else InMemorySessionStore()
        self.steps: list[_Step] = [_compile(r, reply) for r in self.config.rules]
        if not self.steps or not isinstance(self.steps[-1], _Confidence):
            self.steps.append(_Confidence(ConfidenceRule(id="confidence", type="confidence")))
        self.embed: Embed | None = None
        # A predicted tag is remembered for the session only if it is as sure as the
        # escalation rules that name it require (else a weak guess would escalate later).
        self._tag_floor: dict[str, float] = {}
        for r in self.config.rules:
            if isinstance(r, EscalateRule) and r.when == "tag":
                for t in r.tags:
                    self._tag_floor[t] = min(self._tag_floor.get(t, 1.0), r.min_confidence)

    @classmethod
    def from_runtime(
        cls, data: dict[str, Any] | None, *, handoff_reply: dict[str, str] | None = None
    ) -> Policy:
        """The policy stored in an artifact's runtime.json (none: the default rule alone)."""
        config = PolicyConfig.model_validate(data) if data else None
        return cls(config, handoff_reply=handoff_reply)

    def prepare(self, embed: Embed | None) -> None:
        """Embed the semantic examples once; without a model semantic matches never fire."""
        self.embed = embed
        if embed is not None:
            for step in self.steps:
                step.prepare(embed)

    @property
    def rule_ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def decide(self, turn: Turn) -> PolicyResult:
        sid = turn.session_id
        state = self.sessions.get(sid) if sid else SessionState()
        ctx = _Context(turn, normalize(turn.text), state, self.embed)
        trace: list[TraceStep] = []
        decision: Decision | None = None
        decider: _Step | None = None
        for step in self.steps:
            out = step.evaluate(ctx)
            trace.append(
                TraceStep(rule=step.id, kind=step.kind, fired=out.fired, detail=out.detail)
            )
            if out.decision is not None:
                decision, decider = out.decision, step
                break
        if decision is None or decider is None:  # cannot happen: the last step always decides
            raise RuntimeError("the policy's confidence step made no decision")
        # Redaction and masking protect what is stored whatever decided, so they run on every
        # message even when listed after the rule that decided.
        ran = {t.rule for t in trace}
        for step in self.steps:
            if step.id not in ran and step.annotates:
                out = step.evaluate(ctx)
                trace.append(
                    TraceStep(rule=step.id, kind=step.kind, fired=out.fired, detail=out.detail)
                )
        if sid:
            self._remember(sid, ctx, decider, decision)
        return PolicyResult(
            decision=decision.model_copy(update={"trace": trace}),
            redacted_text=_apply_masks(turn.text, ctx.masks),
        )

    def fires(self, rule_id: str, turn: Turn, state: SessionState | None = None) -> bool:
        """Whether one rule fires on a message by itself (inline rule tests)."""
        step = next(s for s in self.steps if s.id == rule_id)
        ctx = _Context(turn, normalize(turn.text), state or SessionState(), self.embed)
        if isinstance(step, _Escalate) and step.rule.when == "low_confidence":
            ctx.state.low_streak = step.rule.turns - 1
        return step.evaluate(ctx).fired

    def _remember(self, sid: str, ctx: _Context, decider: _Step, decision: Decision) -> None:
        state = ctx.state
        if isinstance(decider, _Confidence) and is_low_confidence(decision):
            state.low_streak += 1
        else:  # answered, refused, or handed to a person: the streak starts again
            state.low_streak = 0
        state.tags |= {
            t.name for t in ctx.turn.tags if t.confidence >= self._tag_floor.get(t.name, 0.0)
        }
        self.sessions.put(sid, state)


def _compile(rule: Any, handoff_reply: dict[str, str]) -> _Step:
    if isinstance(rule, (PinnedRule, BlockedRule)):
        return _Matched(rule)
    if isinstance(rule, SensitiveRule):
        return _Sensitive(rule, handoff_reply)
    if isinstance(rule, RedactRule):
        return _Redact(rule)
    if isinstance(rule, EscalateRule):
        return _Escalate(rule, handoff_reply)
    return _Confidence(rule)


def _apply_masks(text: str, masks: list[tuple[int, int, str]]) -> str | None:
    if not masks:
        return None
    out, at = [], 0
    for start, end, repl in sorted(masks):
        if start < at:  # overlaps an earlier mask (a sensitive word inside a redacted number)
            continue
        out.append(text[at:start])
        out.append(repl)
        at = end
    out.append(text[at:])
    return "".join(out)

"""Expected decisions, checked: the engine behind ``aimass policy test``.

A tests file (``policy_tests.yaml``) lists messages and what must happen to each::

    tests:
      - text: 你们客服几点上班
        expect: {kind: answer, source: "pinned:service-hours", decided_by: service-hours}
      - text: 我的手机是 138 1234 5678
        expect: {redacted: 我的手机是 [MOBILE], fired: [personal-data]}
      - session: angry-1          # cases with the same session share its memory, in order
        tags: [complaint_risk]    # profile tags known for the customer (e.g. from the CRM)
        text: 你们这什么破服务
        expect: {kind: handoff, decided_by: complaint-handoff}

Only the keys written under ``expect`` are checked. Cases run in file order against a fresh
session memory. Every mismatch is reported (with its line), never just the first.

Without a model (``--no-model``) every message is read as out of scope with no FAQ match, so
the default rule falls back: the rules that need no model (exact/keyword/regex matches, word
lists, redaction, escalation) are tested exactly as they will run.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aimass.config.project import Replies, Thresholds
from aimass.data.nodes import LDict, line_at, to_plain
from aimass.data.yamlsrc import read_yaml
from aimass.errors import Problem, ValidationFailed
from aimass.policy.config import BlockedRule, EscalateRule, PinnedRule, PolicyConfig
from aimass.policy.engine import Policy, Turn
from aimass.policy.session import InMemorySessionStore, SessionState
from aimass.runtime.decide import decide
from aimass.schemas import Decision, DecisionKind, Response, TagScore

__all__ = [
    "Expect",
    "Failure",
    "PolicyCase",
    "Report",
    "model_free_responder",
    "read_cases",
    "run_cases",
    "run_inline_tests",
]

Responder = Callable[[str, str | None], Response]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expect(_Strict):
    kind: DecisionKind | None = None
    source: str | None = None
    decided_by: str | None = None
    fired: list[str] = Field(default_factory=list)  # these rules fired (in any order)
    not_fired: list[str] = Field(default_factory=list)
    redacted: str | None = None  # the stored text; "" means "nothing was redacted"
    reply_contains: str | None = None


class PolicyCase(_Strict):
    text: str = Field(min_length=1)
    session: str | None = None
    tags: list[str] = Field(default_factory=list)
    expect: Expect
    line: int | None = None


class _CasesFile(_Strict):
    tests: list[PolicyCase]


@dataclass(frozen=True)
class Failure:
    file: str
    line: int | None
    text: str
    what: str
    code: str = "AM141"  # AM139 for a rule's inline test

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{loc}: {self.text!r}: {self.what}"


@dataclass
class Report:
    passed: int = 0
    skipped: int = 0
    failures: list[Failure] | None = None

    def __post_init__(self) -> None:
        self.failures = self.failures or []

    @property
    def ok(self) -> bool:
        return not self.failures

    def add(self, other: Report) -> Report:
        return Report(
            self.passed + other.passed,
            self.skipped + other.skipped,
            (self.failures or []) + (other.failures or []),
        )


def read_cases(path: Path, file: str | None = None) -> list[PolicyCase]:
    """The cases of a tests file; ``ValidationFailed`` (AM140, with lines) when it is invalid."""
    try:
        return _read_cases(path, file or path.name)
    except ValidationFailed as err:
        err.hint = "see the format in docs/project-format.md#policy-tests"
        raise


def _read_cases(path: Path, file: str) -> list[PolicyCase]:
    if not path.is_file():
        raise ValidationFailed(
            [Problem("AM140", f"policy tests file {str(path)!r} not found", file=file)],
            what=file,
        )
    raw, problems = read_yaml(path, file, typed=True)
    if problems:
        raise ValidationFailed(
            [Problem("AM140", p.message, file=p.file, line=p.line, hint=p.hint) for p in problems],
            what=file,
        )
    try:
        parsed = _CasesFile.model_validate(to_plain(raw) if raw is not None else {})
    except ValidationError as err:
        found = []
        for e in err.errors():
            loc = tuple(e["loc"])
            where = ".".join(str(p) for p in loc)
            line = line_at(raw, loc) if isinstance(raw, LDict) else None
            found.append(Problem("AM140", f"{where}: {e['msg']}", file=file, line=line))
        raise ValidationFailed(found, what=file) from None
    tests = raw["tests"]
    return [
        case.model_copy(update={"line": tests.item_lines[i] if i < len(tests.item_lines) else None})
        for i, case in enumerate(parsed.tests)
    ]


def run_cases(
    cases: list[PolicyCase],
    respond: Responder,
    sessions: InMemorySessionStore,
    *,
    file: str,
) -> Report:
    """Run each case through ``respond`` (text, session id) and compare with its expectation."""
    report = Report()
    for n, case in enumerate(cases):
        session = case.session
        if case.tags and session is None:
            session = f"_case-{n}"
        if case.tags and session is not None:
            sessions.remember_tags(session, case.tags)
        response = respond(case.text, session)
        problems = _compare(case.expect, response)
        if problems:
            report.failures = (report.failures or []) + [
                Failure(file, case.line, case.text, "; ".join(problems))
            ]
        else:
            report.passed += 1
    return report


def _compare(expect: Expect, r: Response) -> list[str]:
    d = r.decision
    got = f"(got {d.kind.value} from {d.source} by {d.decided_by})"
    out = []
    if expect.kind is not None and d.kind != expect.kind:
        out.append(f"kind: expected {expect.kind.value} {got}")
    if expect.source is not None and d.source != expect.source:
        out.append(f"source: expected {expect.source} {got}")
    if expect.decided_by is not None and d.decided_by != expect.decided_by:
        out.append(f"decided_by: expected {expect.decided_by} {got}")
    fired = [s.rule for s in d.trace if s.fired]
    for rule in expect.fired:
        if rule not in fired:
            out.append(f"rule {rule} should have fired (fired: {', '.join(fired) or 'none'})")
    for rule in expect.not_fired:
        if rule in fired:
            out.append(f"rule {rule} should not have fired")
    if expect.redacted is not None:
        stored = r.redacted_text or ""
        if stored != expect.redacted:
            out.append(f"redacted: expected {expect.redacted!r}, got {stored!r}")
    if expect.reply_contains is not None and expect.reply_contains not in d.reply:
        out.append(f"reply should contain {expect.reply_contains!r}, got {d.reply!r}")
    return out


def run_inline_tests(
    policy: Policy, config: PolicyConfig, *, file: str, raw_lines: dict[tuple[str, int], int]
) -> Report:
    """Each rule's own ``tests``. Without a model a semantic-only test is skipped."""
    report = Report()
    by_id = {r.id: r for r in config.rules}
    for rule_id, rule in by_id.items():
        for j, test in enumerate(rule.tests):
            turn = Turn(
                text=test.text,
                language=_language(test.text),
                default=_fallback_decision(test.text),
                tags=[TagScore(name=t, confidence=1.0) for t in test.tags],
                out_of_scope=True,
            )
            fired = policy.fires(rule_id, turn, SessionState())
            if fired == test.fires:
                report.passed += 1
                continue
            semantic = isinstance(rule, (PinnedRule, BlockedRule)) and rule.match.semantic
            if semantic and policy.embed is None and test.fires:
                report.skipped += 1  # it may only match semantically; needs the model
                continue
            if isinstance(rule, EscalateRule) and rule.when == "low_confidence":
                report.skipped += 1  # depends on the model's confidence
                continue
            report.failures = (report.failures or []) + [
                Failure(
                    file,
                    raw_lines.get((rule_id, j)),
                    test.text,
                    f"rule {rule_id} should {'' if test.fires else 'not '}fire "
                    f"but {'did not' if test.fires else 'did'}",
                    code="AM139",
                )
            ]
    return report


def model_free_responder(
    policy: Policy, thresholds: Thresholds, replies: Replies, handoff_intents: list[str]
) -> Responder:
    """Responses with no model: every message out of scope, no FAQ, no profile tags."""

    def respond(text: str, session: str | None) -> Response:
        language = _language(text)
        default = functools.partial(
            decide,
            intents=[],
            out_of_scope=True,
            faqs=[],
            language=language,
            thresholds=thresholds,
            replies=replies,
            intent_info={},
            handoff_intents=handoff_intents,
            faq_titles={},
        )
        result = policy.decide(
            Turn(
                text=text, language=language, default=default, out_of_scope=True, session_id=session
            )
        )
        return Response(
            text=text,
            language=language,
            intents=[],
            out_of_scope=True,
            tags=[],
            faqs=[],
            decision=result.decision,
            redacted_text=result.redacted_text,
            session_id=session,
        )

    return respond


def _fallback_decision(text: str) -> Callable[[], Decision]:
    return functools.partial(
        decide,
        intents=[],
        out_of_scope=True,
        faqs=[],
        language=_language(text),
        thresholds=Thresholds(),
        replies=Replies(),
        intent_info={},
        handoff_intents=[],
        faq_titles={},
    )


def _language(text: str) -> str:
    from aimass.data.language import language_of

    return language_of(text)


def inline_test_lines(raw: object) -> dict[tuple[str, int], int]:
    """(rule id, test index) -> line, from the line-aware tree of policy.yaml."""
    out: dict[tuple[str, int], int] = {}
    rules = raw.get("rules") if isinstance(raw, LDict) else None
    for rule in rules or []:
        if not isinstance(rule, LDict):
            continue
        tests = rule.get("tests") or []
        for j in itertools.count():
            if j >= len(tests):
                break
            line = tests.item_lines[j] if hasattr(tests, "item_lines") else None
            if line is not None:
                out[(str(rule.get("id")), j)] = line
    return out

"""Stored feedback -> what the bandit learns from and what off-policy evaluation needs.

Two sources:

* the **service database** (SQLite path or URL, read only): every stored turn that showed an
  FAQ, with the FAQ candidates of its stored response, the customer's tags and text, and
  the feedback on it — thumbs, resolved, a hand-off (the answer did not do), and agents'
  corrections and labelling-queue labels (which say which FAQ was right: full information);
* a **JSONL export**, one logged turn per line (the format :func:`write_jsonl` writes)::

    {"text": "...", "tags": ["vip"], "candidates": [{"faq_id": "a", "dense": 0.8,
     "lexical": 3.1, "fused": 0.9, "confidence": 0.7}, ...], "shown": "a",
     "propensity": 0.9, "reward": 1, "corrected_faq_id": null}

Propensities: the runtime stores which FAQ a confident FAQ answer showed and how likely that
choice was (``Response.faq_choice``, :mod:`aimass.learning.serving`): 1 for the static ranker
or a policy served without exploration, the drawn probability when the service explores.
Turns stored before that (no ``faq_choice`` key) are read as showing their top-1 FAQ with
propensity 1 and counted in ``assumed_propensity``. On logs without exploration a candidate
that disagrees with the current ranker can only be judged through the doubly-robust reward
model and corrections, and the promotion gate will rarely promote: the honest answer until
the served policy explores.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aimass.errors import TrainingError
from aimass.learning.bandit import Candidate, Context
from aimass.learning.ope import LoggedTurn

_UP = {"up", "1", "true", "yes", "y", "good", "resolved", "+1", "👍"}
_DOWN = {"down", "0", "false", "no", "n", "bad", "unresolved", "-1", "👎"}


@dataclass
class Labelled:
    """A turn whose right FAQ an agent named: every candidate's reward is known."""

    context: Context
    correct: str  # FAQ id

    def rewards(self) -> dict[int, float]:
        return {i: float(c.faq_id == self.correct) for i, c in enumerate(self.context.candidates)}


@dataclass
class FeedbackData:
    turns: list[LoggedTurn] = field(default_factory=list)  # bandit feedback, in time order
    labelled: list[Labelled] = field(default_factory=list)  # corrections and labels
    assumed_propensity: int = 0  # turns whose propensity was not recorded (taken as 1)
    skipped: dict[str, int] = field(default_factory=dict)  # why some rows gave nothing

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def summary(self) -> dict[str, Any]:
        return {
            "turns": len(self.turns),
            "labelled": len(self.labelled),
            "assumed_propensity": self.assumed_propensity,
            "skipped": dict(self.skipped),
        }


def reward_of(kind: str, value: str | None) -> float | None:
    """A feedback event's reward: 1 satisfied, 0 not, ``None`` when it says neither."""
    v = (value or "").strip().lower()
    if kind == "handoff":
        return 0.0  # the customer needed a human: the answer did not do
    if kind in ("thumbs", "resolved"):
        if v in _UP:
            return 1.0
        if v in _DOWN:
            return 0.0
    return None


def candidates_of(response: dict[str, Any]) -> list[Candidate]:
    """The FAQ candidates of a stored response (``Response.faqs``), best first."""
    out = []
    for f in response.get("faqs") or []:
        try:
            out.append(
                Candidate(
                    faq_id=str(f["faq_id"]),
                    dense=float(f.get("score", 0.0)),
                    lexical=float(f.get("lexical", 0.0)),
                    fused=float(f.get("fused", 0.0)),
                    confidence=None if f.get("confidence") is None else float(f["confidence"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            return []
    return out


def _turn(
    data: FeedbackData,
    ctx: Context,
    shown: str | None,
    propensity: float | None,
    reward: float | None,
    corrected: str | None,
) -> None:
    ids = [c.faq_id for c in ctx.candidates]
    if corrected:
        if corrected in ids:
            data.labelled.append(Labelled(ctx, corrected))
        else:
            data.skip("corrected FAQ not among the candidates")
    if reward is None:
        if not corrected:
            data.skip("no reward")
        return
    if shown not in ids:
        data.skip("shown FAQ not among the candidates")
        return
    if propensity is None:
        data.assumed_propensity += 1
        propensity = 1.0
    data.turns.append(LoggedTurn(ctx, ids.index(shown), float(propensity), float(reward)))


# ---------------------------------------------------------------------- JSONL


def read_jsonl(path: str | Path) -> FeedbackData:
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise TrainingError(f"cannot read {p}: {e}", code="AM592", file=str(p)) from None
    data = FeedbackData()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            cands = [
                Candidate(
                    faq_id=str(c["faq_id"]),
                    dense=float(c.get("dense", 0.0)),
                    lexical=float(c.get("lexical", 0.0)),
                    fused=float(c.get("fused", 0.0)),
                    confidence=None if c.get("confidence") is None else float(c["confidence"]),
                )
                for c in obj["candidates"]
            ]
            reward = obj.get("reward")
            prop = obj.get("propensity")
            if prop is not None and not (0.0 < float(prop) <= 1.0):
                raise ValueError(f"propensity {prop} outside (0, 1]")
        except (ValueError, KeyError, TypeError) as e:
            raise TrainingError(
                f"line {lineno} is not a logged turn: {e}",
                code="AM592",
                file=str(p),
                line=lineno,
                hint='each line: {"candidates": [{"faq_id": ...}], "shown": ..., '
                '"propensity": ..., "reward": 0|1}',
            ) from None
        if not cands:
            data.skip("no candidates")
            continue
        ctx = Context.of(cands, obj.get("tags") or (), text=str(obj.get("text") or ""))
        _turn(
            data,
            ctx,
            obj.get("shown"),
            None if prop is None else float(prop),
            None if reward is None else float(reward),
            obj.get("corrected_faq_id"),
        )
    return data


def write_jsonl(path: str | Path, turns: Iterable[dict[str, Any]]) -> None:
    """Write logged turns (dicts in the export format) atomically."""
    from aimass.learning.bandit import write_text_atomic

    write_text_atomic(Path(path), "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in turns))


def export_row(
    ctx: Context, shown: int, propensity: float | None, reward: float | None, text: str = ""
) -> dict[str, Any]:
    return {
        "text": text,
        "tags": list(ctx.tags),
        "candidates": [
            {
                "faq_id": c.faq_id,
                "dense": c.dense,
                "lexical": c.lexical,
                "fused": c.fused,
                "confidence": c.confidence,
            }
            for c in ctx.candidates
        ],
        "shown": ctx.candidates[shown].faq_id,
        "propensity": propensity,
        "reward": reward,
    }


# ---------------------------------------------------------------------- the service database


def read_database(url: str) -> FeedbackData:
    """Read turns and their feedback from the service's database (never writes to it)."""
    try:
        from sqlalchemy import create_engine, select
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.orm import Session

        from aimass.storage.db import normalise_url
        from aimass.storage.models import DecisionRow, Feedback, Message
    except ImportError as e:  # pragma: no cover - the service extra is missing
        raise TrainingError(
            f"reading the service database needs SQLAlchemy: {e}",
            code="AM593",
            hint="pip install 'aimass[service]'",
        ) from None
    engine = create_engine(normalise_url(url))
    data = FeedbackData()
    try:
        with Session(engine) as s:
            events: dict[int, list[Any]] = {}
            for fb in s.scalars(select(Feedback).order_by(Feedback.id)).all():
                if fb.decision_id is not None:
                    events.setdefault(int(fb.decision_id), []).append(fb)
            if not events:
                return data
            rows = s.scalars(
                select(DecisionRow).where(DecisionRow.id.in_(list(events))).order_by(DecisionRow.id)
            ).all()
            texts = {
                m.id: m.text
                for m in s.scalars(
                    select(Message).where(Message.id.in_([r.message_id for r in rows]))
                ).all()
            }
            for row in rows:
                response = row.response or {}
                cands = candidates_of(response)
                if not cands:
                    data.skip("turn showed no FAQ")
                    continue
                # Turns served since the runtime records its FAQ choice carry the key; null
                # there means the reply was not an FAQ's answer (an intent's, a rule's, a
                # clarification), so the feedback does not judge the FAQ ranking.
                has_choice = "faq_choice" in response
                choice = response.get("faq_choice") or {}
                if has_choice and not choice:
                    data.skip("reply was not an FAQ answer")
                    continue
                ctx = Context.of(cands, row.tags or (), text=texts.get(row.message_id, ""))
                reward: float | None = None
                corrected: str | None = None
                for fb in events[int(row.id)]:  # later events win
                    if fb.kind == "correction":
                        corrected = fb.corrected_faq_id or corrected
                        continue
                    r = reward_of(fb.kind, fb.value)
                    if r is not None:
                        reward = r
                prop = choice.get("propensity")
                _turn(
                    data,
                    ctx,
                    choice.get("shown") or row.faq_id,
                    None if prop is None else float(prop),
                    reward,
                    corrected,
                )
    except SQLAlchemyError as e:
        raise TrainingError(
            f"cannot read feedback from the database: {e.__class__.__name__}: {e}",
            code="AM593",
            hint="check the URL, and that the service has created its tables",
        ) from None
    finally:
        engine.dispose()
    return data


def read_feedback(source: str | Path) -> FeedbackData:
    """A ``.jsonl`` file, else a database URL or an SQLite path."""
    s = str(source)
    if s.endswith(".jsonl"):
        return read_jsonl(s)
    if "://" not in s and not Path(s).exists():
        raise TrainingError(
            f"no feedback file or database at {s}",
            code="AM593",
            hint="pass a .jsonl export, an SQLite file or a database URL",
        )
    return read_database(s)


def split_in_time(turns: Sequence[LoggedTurn], holdout: float) -> tuple[list, list]:
    """Older turns to learn from, the newest ``holdout`` share to evaluate on."""
    n_eval = round(len(turns) * holdout)
    cut = len(turns) - n_eval
    return list(turns[:cut]), list(turns[cut:])

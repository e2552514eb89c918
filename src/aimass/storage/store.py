"""``Store``: every read and write the service makes, as plain methods over one database.

Routers call these from worker threads; each method is one short transaction, so SQLite (WAL)
and several servers on one PostgreSQL database see a consistent state. Methods return plain
dicts/ints that the service validates into its response models.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from aimass.errors import ServiceError
from aimass.storage.db import create_engine, migrate, normalise_url
from aimass.storage.models import (
    ApiKey,
    AuditEntry,
    ContentEvent,
    Conversation,
    DecisionRow,
    FaqContent,
    Feedback,
    Handoff,
    KbContent,
    Message,
    Profile,
    ReviewItem,
    _Content,
    utcnow,
)

SCOPES = ("client", "agent", "admin")  # each scope may do everything the ones before it may
TOKEN_PREFIX = "am_"
_TOUCH_EVERY = timedelta(seconds=60)  # last_used_at is written at most once a minute per key
KEY_CACHE_S = 5.0  # how long a verified key is trusted without asking the database again


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scope_allows(have: str, need: str) -> bool:
    return have in SCOPES and SCOPES.index(have) >= SCOPES.index(need)


def not_found(what: str) -> ServiceError:
    return ServiceError(f"{what} not found", code="AM807", hint="check the id")


class Store:
    def __init__(self, url: str, *, migrate_schema: bool = True) -> None:
        self.url = normalise_url(url)
        self.engine = create_engine(self.url)
        if migrate_schema:
            migrate(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(
            self.engine.execution_options(aimass_readonly=True), expire_on_commit=False
        )
        self._touched: dict[str, datetime] = {}
        self._keys: dict[str, tuple[dict[str, Any], float]] = {}  # token hash -> (key, expiry)

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction (on SQLite it holds the write lock from the start)."""
        with self._session() as s, s.begin():
            yield s

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it takes no write lock (WAL readers run freely)."""
        with self._reader() as s, s.begin():
            yield s

    def ping(self) -> bool:
        from sqlalchemy import text

        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    # ------------------------------------------------------------------ API keys

    def create_key(self, scope: str, name: str = "") -> tuple[dict[str, Any], str]:
        """A new key; the token is returned once and only its hash is stored."""
        if scope not in SCOPES:
            raise ServiceError(
                f"unknown scope {scope!r}", code="AM805", hint=f"use one of {', '.join(SCOPES)}"
            )
        key_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        row = ApiKey(id=key_id, name=name, scope=scope, token_hash=hash_token(token))
        with self.session() as s:
            s.add(row)
        return _key_dict(row), token

    def list_keys(self) -> list[dict[str, Any]]:
        with self.read() as s:
            rows = s.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
            return [_key_dict(r) for r in rows]

    def revoke_key(self, key_id: str) -> dict[str, Any]:
        with self.session() as s:
            row = s.get(ApiKey, key_id)
            if row is None:
                raise not_found(f"API key {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            self._keys = {h: v for h, v in self._keys.items() if v[0]["id"] != key_id}
            return _key_dict(row)

    def verify_key(self, token: str) -> dict[str, Any] | None:
        """The key a token belongs to, or None when unknown or revoked.

        Answers are cached for ``KEY_CACHE_S`` seconds, so most requests touch no table; a
        key revoked through another server (or the CLI) stops working within that time, one
        revoked through this ``Store`` at once.
        """
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        now_s = time.monotonic()
        cached = self._keys.get(digest)
        if cached is not None and cached[1] > now_s:
            key: dict[str, Any] | None = cached[0]
        else:
            with self.read() as s:
                row = s.scalars(select(ApiKey).where(ApiKey.token_hash == digest)).first()
                key = _key_dict(row) if row is not None and row.revoked_at is None else None
            if key is not None:
                if len(self._keys) > 10000:
                    self._keys.clear()
                self._keys[digest] = (key, now_s + KEY_CACHE_S)
        if key is None:
            return None
        now = utcnow()
        last = self._touched.get(key["id"])
        if last is None or now - last > _TOUCH_EVERY:
            self._touched[key["id"]] = now
            with self.session() as s:
                row = s.get(ApiKey, key["id"])
                if row is not None:
                    row.last_used_at = now
        return key

    def has_keys(self) -> bool:
        with self.read() as s:
            return (s.scalar(select(func.count()).select_from(ApiKey)) or 0) > 0

    # ------------------------------------------------------------------ turns

    def _ensure_conversation(
        self, s: Session, conversation_id: str, user_id: str | None, language: str | None
    ) -> Conversation:
        conv = s.get(Conversation, conversation_id, with_for_update=True)
        if conv is not None:
            return conv
        try:  # another server may create the same conversation at the same moment
            with s.begin_nested():
                conv = Conversation(id=conversation_id, user_id=user_id, language=language)
                s.add(conv)
            return conv
        except IntegrityError:
            conv = s.get(Conversation, conversation_id, with_for_update=True)
            assert conv is not None
            return conv

    def _ensure_profile(self, s: Session, user_id: str) -> Profile:
        prof = s.get(Profile, user_id, with_for_update=True)  # tags merge: no lost update
        if prof is not None:
            return prof
        try:
            with s.begin_nested():
                prof = Profile(user_id=user_id, tags={}, turns=0)
                s.add(prof)
            return prof
        except IntegrityError:
            prof = s.get(Profile, user_id, with_for_update=True)
            assert prof is not None
            return prof

    def record_turn(
        self,
        response: Any,
        *,
        conversation_id: str,
        user_id: str | None,
        language: str | None = None,
        review_below: float = 0.5,
    ) -> dict[str, Any]:
        """Store a customer's message, the decision and the bot's reply; update the profile;
        queue a hand-off or a labelling item when the decision calls for one."""
        d = response.decision
        kind = str(d.kind.value if hasattr(d.kind, "value") else d.kind)
        # The policy's redaction (personal data masked) is what gets stored, never the original.
        text = getattr(response, "redacted_text", None) or response.text
        dumped = response.model_dump(mode="json")
        dumped["text"] = text
        dumped.pop("redacted_text", None)
        top = response.intents[0] if response.intents else None
        # The FAQ the reply showed (the ranking policy's choice), else the retrieval's top-1.
        choice = getattr(response, "faq_choice", None)
        shown = choice.shown if choice is not None else None
        faq = next(
            (f for f in response.faqs if f.faq_id == shown),
            response.faqs[0] if response.faqs else None,
        )
        tags = [t.name for t in response.tags]
        now = utcnow()
        with self.session() as s:
            conv = self._ensure_conversation(
                s, conversation_id, user_id, language or response.language
            )
            conv.turns += 1
            conv.updated_at = now
            msg = Message(conversation_id=conv.id, user_id=user_id, role="user", text=text)
            s.add(msg)
            s.flush()
            row = DecisionRow(
                conversation_id=conv.id,
                message_id=msg.id,
                user_id=user_id,
                kind=kind,
                reply=d.reply,
                source=d.source,
                decided_by=d.decided_by,
                reason=d.reason,
                options=list(d.options),
                intent=top.name if top else None,
                intent_confidence=top.confidence if top else None,
                faq_id=faq.faq_id if faq else None,
                faq_confidence=faq.confidence if faq else None,
                out_of_scope=bool(response.out_of_scope),
                language=response.language,
                tags=tags,
                model_version=response.model_version,
                latency_ms=float(response.latency_ms),
                response=dumped,
            )
            s.add(row)
            s.add(Message(conversation_id=conv.id, user_id=user_id, role="bot", text=d.reply))
            s.flush()
            handoff_id = None
            if kind == "handoff":
                conv.status = "handoff"
                h = Handoff(
                    conversation_id=conv.id, decision_id=row.id, user_id=user_id, reason=d.reason
                )
                s.add(h)
                s.flush()
                handoff_id = h.id
            low = top is not None and top.confidence < review_below
            if kind == "clarify" or (low and kind != "handoff"):
                s.add(
                    ReviewItem(
                        decision_id=row.id,
                        conversation_id=conv.id,
                        user_id=user_id,
                        text=text,
                        intent=top.name if top else None,
                        confidence=top.confidence if top else None,
                    )
                )
            if user_id:
                prof = self._ensure_profile(s, user_id)
                counts = dict(prof.tags or {})
                for t in tags:
                    counts[t] = int(counts.get(t, 0)) + 1
                prof.tags = counts
                prof.turns += 1
                prof.last_seen = now
            return {
                "conversation_id": conv.id,
                "message_id": msg.id,
                "turn_id": row.id,
                "handoff_id": handoff_id,
            }

    def list_conversations(
        self, *, limit: int = 50, offset: int = 0, user_id: str | None = None
    ) -> list[dict[str, Any]]:
        with self.read() as s:
            q = select(Conversation).order_by(Conversation.updated_at.desc(), Conversation.id)
            if user_id:
                q = q.where(Conversation.user_id == user_id)
            rows = s.scalars(q.limit(limit).offset(offset)).all()
            return [_conv_dict(c) for c in rows]

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        with self.read() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise not_found(f"conversation {conversation_id!r}")
            messages = s.scalars(
                select(Message).where(Message.conversation_id == conv.id).order_by(Message.id)
            ).all()
            decisions = s.scalars(
                select(DecisionRow)
                .where(DecisionRow.conversation_id == conv.id)
                .order_by(DecisionRow.id)
            ).all()
            feedback = s.scalars(
                select(Feedback).where(Feedback.conversation_id == conv.id).order_by(Feedback.id)
            ).all()
            out = _conv_dict(conv)
            out["messages"] = [
                {"id": m.id, "role": m.role, "text": m.text, "created_at": m.created_at}
                for m in messages
            ]
            out["turns_detail"] = [_decision_dict(d) for d in decisions]
            out["feedback"] = [_feedback_dict(f) for f in feedback]
            return out

    def add_agent_message(self, conversation_id: str, text: str, actor: str) -> dict[str, Any]:
        """A human agent's reply in a conversation (the customer's widget picks it up)."""
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise not_found(f"conversation {conversation_id!r}")
            conv.updated_at = utcnow()
            m = Message(conversation_id=conv.id, user_id=conv.user_id, role="agent", text=text)
            s.add(m)
            s.add(AuditEntry(actor=actor, action="agent.reply", target=conv.id, detail={}))
            s.flush()
            return {"id": m.id, "role": m.role, "text": m.text, "created_at": m.created_at}

    def agent_messages(self, conversation_id: str, after: int = 0) -> list[dict[str, Any]]:
        with self.read() as s:
            rows = s.scalars(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.role == "agent",
                    Message.id > after,
                )
                .order_by(Message.id)
            ).all()
            return [
                {"id": m.id, "role": m.role, "text": m.text, "created_at": m.created_at}
                for m in rows
            ]

    def decision(self, decision_id: int) -> dict[str, Any]:
        with self.read() as s:
            row = s.get(DecisionRow, decision_id)
            if row is None:
                raise not_found(f"turn {decision_id}")
            return _decision_dict(row)

    # ------------------------------------------------------------------ feedback

    def add_feedback(
        self,
        *,
        kind: str,
        turn_id: int | None = None,
        conversation_id: str | None = None,
        value: str | None = None,
        corrected_intent: str | None = None,
        corrected_faq_id: str | None = None,
        comment: str | None = None,
        actor: str | None = None,
    ) -> int:
        with self.session() as s:
            user_id = None
            if turn_id is not None:
                row = s.get(DecisionRow, turn_id)
                if row is None:
                    raise not_found(f"turn {turn_id}")
                if conversation_id and conversation_id != row.conversation_id:
                    raise ServiceError(
                        "the turn belongs to another conversation",
                        code="AM805",
                        hint="send the turn id with its own session id",
                    )
                conversation_id = row.conversation_id
                user_id = row.user_id
            elif conversation_id is not None:
                conv = s.get(Conversation, conversation_id)
                if conv is None:
                    raise not_found(f"conversation {conversation_id!r}")
                user_id = conv.user_id
            fb = Feedback(
                decision_id=turn_id,
                conversation_id=conversation_id,
                user_id=user_id,
                kind=kind,
                value=value,
                corrected_intent=corrected_intent,
                corrected_faq_id=corrected_faq_id,
                comment=comment,
                actor=actor,
            )
            s.add(fb)
            s.flush()
            return int(fb.id)

    def feedback_for(self, turn_id: int) -> list[dict[str, Any]]:
        with self.read() as s:
            rows = s.scalars(select(Feedback).where(Feedback.decision_id == turn_id)).all()
            return [_feedback_dict(f) for f in rows]

    # ------------------------------------------------------------------ profiles

    def profile(self, user_id: str) -> dict[str, Any]:
        with self.read() as s:
            prof = s.get(Profile, user_id)
            if prof is None:
                raise not_found(f"profile of user {user_id!r}")
            tags = sorted((prof.tags or {}).items(), key=lambda kv: (-kv[1], kv[0]))
            return {
                "user_id": prof.user_id,
                "tags": [{"name": k, "count": int(v)} for k, v in tags],
                "turns": prof.turns,
                "first_seen": prof.first_seen,
                "last_seen": prof.last_seen,
            }

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Right to be forgotten: the profile and every message, decision, feedback,
        hand-off and labelling item of the user, and their conversations."""
        with self.session() as s:
            conv_ids = list(
                s.scalars(select(Conversation.id).where(Conversation.user_id == user_id))
            )
            counts: dict[str, int] = {}
            in_conv = (lambda col: col.in_(conv_ids)) if conv_ids else (lambda col: False)
            for name, model in (
                ("review_items", ReviewItem),
                ("handoffs", Handoff),
                ("feedback", Feedback),
                ("decisions", DecisionRow),
                ("messages", Message),
            ):
                res = s.execute(
                    delete(model).where((model.user_id == user_id) | in_conv(model.conversation_id))
                )
                counts[name] = _rowcount(res)
            res = s.execute(delete(Conversation).where(Conversation.user_id == user_id))
            counts["conversations"] = _rowcount(res)
            res = s.execute(delete(Profile).where(Profile.user_id == user_id))
            counts["profiles"] = _rowcount(res)
            return counts

    # ------------------------------------------------------------------ hand-offs

    def request_handoff(
        self, conversation_id: str, *, reason: str = "", user_id: str | None = None
    ) -> dict[str, Any]:
        with self.session() as s:
            conv = self._ensure_conversation(s, conversation_id, user_id, None)
            open_one = s.scalars(
                select(Handoff).where(
                    Handoff.conversation_id == conv.id, Handoff.status != "resolved"
                )
            ).first()
            if open_one is not None:
                return _handoff_dict(open_one)
            conv.status = "handoff"
            h = Handoff(conversation_id=conv.id, user_id=conv.user_id or user_id, reason=reason)
            s.add(h)
            s.flush()
            return _handoff_dict(h)

    def list_handoffs(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.read() as s:
            q = select(Handoff).order_by(Handoff.id)
            if status:
                q = q.where(Handoff.status == status)
            return [_handoff_dict(h) for h in s.scalars(q.limit(limit)).all()]

    def claim_handoff(self, handoff_id: int, actor: str) -> dict[str, Any]:
        """First agent wins: a conditional UPDATE, so two servers never both claim one."""
        from sqlalchemy import update

        with self.session() as s:
            res = s.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == "waiting")
                .values(status="claimed", claimed_by=actor, claimed_at=utcnow())
            )
            h = s.get(Handoff, handoff_id)
            if h is None:
                raise not_found(f"hand-off {handoff_id}")
            if _rowcount(res) == 0 and h.claimed_by != actor:
                raise ServiceError(
                    f"hand-off {handoff_id} is already {h.status}",
                    code="AM810",
                    hint="refresh the queue",
                )
            s.refresh(h)
            return _handoff_dict(h)

    def resolve_handoff(self, handoff_id: int, actor: str, outcome: str = "") -> dict[str, Any]:
        with self.session() as s:
            h = s.get(Handoff, handoff_id)
            if h is None:
                raise not_found(f"hand-off {handoff_id}")
            if h.status == "resolved":
                raise ServiceError(
                    f"hand-off {handoff_id} is already resolved", code="AM810", hint="refresh"
                )
            h.status = "resolved"
            h.outcome = outcome
            h.resolved_at = utcnow()
            h.claimed_by = h.claimed_by or actor
            conv = s.get(Conversation, h.conversation_id)
            if conv is not None:
                conv.status = "open"
            s.add(
                Feedback(
                    conversation_id=h.conversation_id,
                    decision_id=h.decision_id,
                    user_id=h.user_id,
                    kind="handoff",
                    value=outcome or "resolved",
                    actor=actor,
                )
            )
            s.flush()
            return _handoff_dict(h)

    # ------------------------------------------------------------------ labelling queue

    def list_review(self, status: str | None = "open", limit: int = 100) -> list[dict[str, Any]]:
        with self.read() as s:
            q = select(ReviewItem).order_by(ReviewItem.id)
            if status:
                q = q.where(ReviewItem.status == status)
            return [_review_dict(r) for r in s.scalars(q.limit(limit)).all()]

    def label_review(
        self, item_id: int, *, intent: str | None, faq_id: str | None, actor: str
    ) -> dict[str, Any]:
        with self.session() as s:
            r = s.get(ReviewItem, item_id)
            if r is None:
                raise not_found(f"labelling item {item_id}")
            r.status = "labelled"
            r.label_intent = intent
            r.label_faq_id = faq_id
            s.add(
                Feedback(
                    decision_id=r.decision_id,
                    conversation_id=r.conversation_id,
                    user_id=r.user_id,
                    kind="correction",
                    corrected_intent=intent,
                    corrected_faq_id=faq_id,
                    actor=actor,
                )
            )
            return _review_dict(r)

    # ------------------------------------------------------------------ FAQ / KB content

    def list_content(self, kind: str) -> list[dict[str, Any]]:
        model = _content_model(kind)
        with self.read() as s:
            return [dict(r.data) for r in s.scalars(select(model).order_by(model.id)).all()]

    def get_content(self, kind: str, item_id: str) -> dict[str, Any]:
        with self.read() as s:
            row = s.get(_content_model(kind), item_id)
            if row is None:
                raise not_found(f"{kind} {item_id!r}")
            return dict(row.data)

    def put_content(self, kind: str, data: dict[str, Any]) -> bool:
        """Insert or replace (and log the change for the other servers); True when new."""
        model = _content_model(kind)
        with self.session() as s:
            s.add(ContentEvent(kind=kind, item_id=data["id"], op="put"))
            row = s.get(model, data["id"])
            if row is None:
                s.add(model(id=data["id"], data=data))
                return True
            row.data = data
            row.updated_at = utcnow()
            return False

    def delete_content(self, kind: str, item_id: str) -> bool:
        model = _content_model(kind)
        with self.session() as s:
            s.add(ContentEvent(kind=kind, item_id=item_id, op="delete"))
            return _rowcount(s.execute(delete(model).where(model.id == item_id))) > 0

    def content_changes(
        self, after: int
    ) -> tuple[int, list[tuple[str, str, dict[str, Any] | None]]]:
        """Changes logged after event ``after``: the newest event id and, per changed item,
        its current content (None when deleted). Idempotent to apply, so replaying a window
        twice (ids of concurrent writers may commit out of order) does no harm."""
        with self.read() as s:
            events = s.scalars(
                select(ContentEvent).where(ContentEvent.id > after).order_by(ContentEvent.id)
            ).all()
            if not events:
                return after, []
            seen: dict[tuple[str, str], None] = {}
            for e in events:
                seen.pop((e.kind, e.item_id), None)
                seen[(e.kind, e.item_id)] = None  # keep the order of the last change
            out: list[tuple[str, str, dict[str, Any] | None]] = []
            for kind, item_id in seen:
                row = s.get(_content_model(kind), item_id)
                out.append((kind, item_id, dict(row.data) if row is not None else None))
            return int(events[-1].id), out

    def seed_content(self, kind: str, items: list[dict[str, Any]]) -> int:
        """Fill an empty table from the artifact, so the editor starts with what the bot knows."""
        model = _content_model(kind)
        with self.session() as s:
            if s.scalar(select(func.count()).select_from(model)):
                return 0
            for it in items:
                s.add(model(id=it["id"], data=it))
            return len(items)

    # ------------------------------------------------------------------ audit

    def audit(
        self, actor: str | None, action: str, target: str | None = None, **detail: Any
    ) -> None:
        with self.session() as s:
            s.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))

    def list_audit(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.read() as s:
            rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
            return [
                {
                    "id": r.id,
                    "at": r.at,
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "detail": r.detail,
                }
                for r in rows
            ]

    # ------------------------------------------------------------------ dashboard

    def stats(self) -> dict[str, Any]:
        with self.read() as s:
            turns = s.scalar(select(func.count()).select_from(DecisionRow)) or 0
            convs = s.scalar(select(func.count()).select_from(Conversation)) or 0
            handed = s.scalar(select(func.count(func.distinct(Handoff.conversation_id)))) or 0
            oos = (
                s.scalar(
                    select(func.count())
                    .select_from(DecisionRow)
                    .where(DecisionRow.out_of_scope.is_(True))
                )
                or 0
            )
            by_kind = dict(
                s.execute(select(DecisionRow.kind, func.count()).group_by(DecisionRow.kind)).all()
            )
            top = s.execute(
                select(DecisionRow.intent, func.count().label("n"))
                .where(DecisionRow.intent.is_not(None))
                .group_by(DecisionRow.intent)
                .order_by(func.count().desc(), DecisionRow.intent)
                .limit(10)
            ).all()
            fb = dict(
                s.execute(
                    select(Feedback.value, func.count())
                    .where(Feedback.kind == "thumbs")
                    .group_by(Feedback.value)
                ).all()
            )
            waiting = (
                s.scalar(
                    select(func.count()).select_from(Handoff).where(Handoff.status == "waiting")
                )
                or 0
            )
            review = (
                s.scalar(
                    select(func.count()).select_from(ReviewItem).where(ReviewItem.status == "open")
                )
                or 0
            )
        return {
            "turns": int(turns),
            "conversations": int(convs),
            "containment": (convs - handed) / convs if convs else 0.0,
            "handoff_rate": handed / convs if convs else 0.0,
            "out_of_scope_rate": oos / turns if turns else 0.0,
            "decisions": {str(k): int(v) for k, v in by_kind.items()},
            "top_intents": [{"name": str(n), "count": int(c)} for n, c in top],
            "feedback": {"up": int(fb.get("up", 0)), "down": int(fb.get("down", 0))},
            "handoffs_waiting": int(waiting),
            "review_open": int(review),
        }


# ---------------------------------------------------------------------- row -> dict


def _rowcount(result: Any) -> int:
    """Rows a DML statement touched (``CursorResult.rowcount``; the typed API hides it)."""
    return int(getattr(result, "rowcount", 0) or 0)


def _content_model(kind: str) -> type[_Content]:
    if kind == "faq":
        return FaqContent
    if kind == "kb":
        return KbContent
    raise ValueError(kind)


def _key_dict(r: ApiKey) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "scope": r.scope,
        "created_at": r.created_at,
        "last_used_at": r.last_used_at,
        "revoked": r.revoked_at is not None,
    }


def _conv_dict(c: Conversation) -> dict[str, Any]:
    return {
        "id": c.id,
        "user_id": c.user_id,
        "language": c.language,
        "status": c.status,
        "turns": c.turns,
        "started_at": c.started_at,
        "updated_at": c.updated_at,
    }


def _decision_dict(d: DecisionRow) -> dict[str, Any]:
    return {
        "turn_id": d.id,
        "conversation_id": d.conversation_id,
        "message_id": d.message_id,
        "text": (d.response or {}).get("text", ""),
        "kind": d.kind,
        "reply": d.reply,
        "source": d.source,
        "decided_by": d.decided_by,
        "reason": d.reason,
        "options": list(d.options or []),
        "intent": d.intent,
        "intent_confidence": d.intent_confidence,
        "faq_id": d.faq_id,
        "faq_confidence": d.faq_confidence,
        "out_of_scope": d.out_of_scope,
        "language": d.language,
        "tags": list(d.tags or []),
        "model_version": d.model_version,
        "latency_ms": d.latency_ms,
        "created_at": d.created_at,
    }


def _feedback_dict(f: Feedback) -> dict[str, Any]:
    return {
        "id": f.id,
        "turn_id": f.decision_id,
        "conversation_id": f.conversation_id,
        "kind": f.kind,
        "value": f.value,
        "corrected_intent": f.corrected_intent,
        "corrected_faq_id": f.corrected_faq_id,
        "comment": f.comment,
        "actor": f.actor,
        "created_at": f.created_at,
    }


def _handoff_dict(h: Handoff) -> dict[str, Any]:
    return {
        "id": h.id,
        "conversation_id": h.conversation_id,
        "turn_id": h.decision_id,
        "user_id": h.user_id,
        "reason": h.reason,
        "status": h.status,
        "claimed_by": h.claimed_by,
        "outcome": h.outcome,
        "created_at": h.created_at,
        "claimed_at": h.claimed_at,
        "resolved_at": h.resolved_at,
    }


def _review_dict(r: ReviewItem) -> dict[str, Any]:
    return {
        "id": r.id,
        "turn_id": r.decision_id,
        "conversation_id": r.conversation_id,
        "text": r.text,
        "intent": r.intent,
        "confidence": r.confidence,
        "status": r.status,
        "label_intent": r.label_intent,
        "label_faq_id": r.label_faq_id,
        "created_at": r.created_at,
    }

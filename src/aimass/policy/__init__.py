"""Policy-as-code: a bot's own rules on top of the model (``policy.yaml``).

``config`` is the schema, ``load`` reads a project's file with coded, line-numbered problems,
``engine`` evaluates the rules for each message (with a trace), ``redact`` finds personal
data, ``session`` remembers what escalation needs between messages, ``artifact`` stores a
policy in a trained artifact, and ``testing`` runs expected decisions (``aimass policy test``).
"""

from __future__ import annotations

from aimass.policy.config import POLICY_FILE, PolicyConfig
from aimass.policy.engine import Policy, PolicyResult, Turn, is_low_confidence
from aimass.policy.session import InMemorySessionStore, SessionState, SessionStore

__all__ = [
    "POLICY_FILE",
    "InMemorySessionStore",
    "Policy",
    "PolicyConfig",
    "PolicyResult",
    "SessionState",
    "SessionStore",
    "Turn",
    "is_low_confidence",
]

"""Intent names: what is allowed, and how importers turn foreign names into allowed ones.

Intent names end up in model label lists, file names of reports and URLs of the service, so
they are restricted to ``[A-Za-z0-9_./-]+``. ``oos`` is the reserved out-of-scope class.
"""

from __future__ import annotations

import re

__all__ = ["INTENT_NAME_PATTERN", "OOS", "intent_name_problem", "sanitize_intent_name"]

OOS = "oos"
INTENT_NAME_PATTERN = r"[A-Za-z0-9_./-]+"
_VALID = re.compile(INTENT_NAME_PATTERN)
_INVALID_RUN = re.compile(r"[^A-Za-z0-9_./-]+")
MAX_NAME_LENGTH = 128


def intent_name_problem(name: str) -> str | None:
    """Why ``name`` is not an allowed intent name, or ``None`` when it is allowed."""
    if not name:
        return "an intent name is empty"
    if not _VALID.fullmatch(name):
        return f"intent name {name!r} has characters outside {INTENT_NAME_PATTERN}"
    if len(name) > MAX_NAME_LENGTH:
        return f"intent name {name[:20]!r}... is longer than {MAX_NAME_LENGTH} characters"
    if name != OOS and name.lower() == OOS:
        return f"intent name {name!r} looks like the out-of-scope class, which is {OOS!r}"
    return None


def sanitize_intent_name(name: str, taken: set[str], fallback_index: int) -> str:
    """An allowed name for a foreign intent name, not in ``taken``.

    ASCII names keep their readable parts (``Default Welcome Intent`` ->
    ``Default_Welcome_Intent``); a name with other characters (``查询订单``) becomes
    ``intent_<n>`` because any transliteration would be a guess; importers keep the original
    as the intent's description.
    """
    candidate = _INVALID_RUN.sub("_", name).strip("_")[:MAX_NAME_LENGTH] if name.isascii() else ""
    if not candidate or intent_name_problem(candidate) is not None:
        candidate = f"intent_{fallback_index}"
    unique, counter = candidate, 2
    while unique in taken:
        unique = f"{candidate}_{counter}"
        counter += 1
    return unique

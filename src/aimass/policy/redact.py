"""Personal data in a message: find it, check it, mask it.

Kinds (each can be switched on or off in ``policy.yaml``):

* ``mobile``   mainland China mobile numbers ``1[3-9]`` + 9 digits, with an optional ``+86`` /
               ``86`` prefix and spaces or hyphens between digit groups.
* ``id_card``  18-character resident identity numbers whose ISO 7064 MOD 11-2 check character
               is right (an 18-digit number with a wrong check digit is left alone).
* ``bank_card`` 13-19 digits (spaces or hyphens allowed between groups) passing the Luhn check.
* ``email``    ordinary e-mail addresses.

Matching runs on the normalised text (so full-width digits ``１３８…`` are found) and the spans
map back to the original message. A number claimed by one kind is not matched again by another:
identity numbers come first (an 18-digit identity number can also happen to pass Luhn), then
mobile numbers (``+86 138 1234 5678`` is 13 digits, which Luhn passes one time in ten), then
bank cards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aimass.policy.normalize import normalize

__all__ = ["KINDS", "PiiMatch", "find_pii", "id_check_ok", "luhn_ok", "redact"]

KINDS = ("email", "id_card", "mobile", "bank_card")

_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])"),
    "id_card": re.compile(r"(?<![0-9a-z])\d{17}[0-9x](?![0-9a-z])"),
    "bank_card": re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])"),
    "mobile": re.compile(r"(?<![\d+])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)"),
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10x98765432"


@dataclass(frozen=True)
class PiiMatch:
    kind: str
    start: int  # in the original message
    end: int
    text: str


def id_check_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 check character of an 18-character resident identity number."""
    number = number.lower()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid(kind: str, found: str) -> bool:
    digits = re.sub(r"[ -]", "", found)
    if kind == "id_card":
        return id_check_ok(digits)
    if kind == "bank_card":
        return 13 <= len(digits) <= 19 and luhn_ok(digits)
    return True


def find_pii(text: str, kinds: tuple[str, ...] | list[str] = KINDS) -> list[PiiMatch]:
    """Every piece of personal data of the given kinds, in text order, never overlapping."""
    norm = normalize(text)
    taken: list[tuple[int, int]] = []
    found: list[PiiMatch] = []
    for kind in KINDS:  # fixed precedence, whatever order the policy lists them in
        if kind not in kinds:
            continue
        for m in _PATTERNS[kind].finditer(norm.text):
            if not _valid(kind, m.group()):
                continue
            start, end = norm.span(m.start(), m.end())
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append(PiiMatch(kind, start, end, text[start:end]))
    return sorted(found, key=lambda p: p.start)


def redact(text: str, matches: list[PiiMatch], mask: str = "[{KIND}]") -> str:
    """``text`` with each match replaced by ``mask`` (``{kind}``/``{KIND}`` are filled in)."""
    out, at = [], 0
    for m in matches:
        out.append(text[at : m.start])
        out.append(mask.replace("{kind}", m.kind).replace("{KIND}", m.kind.upper()))
        at = m.end
    out.append(text[at:])
    return "".join(out)

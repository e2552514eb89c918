"""Helpers for the data tests: fixture files, problems by code, a tiny PDF writer.

(A uniquely named module rather than conftest imports, so other test folders cannot shadow it.)
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from aimass.errors import Problem


def write(root: Path, relative: str, content: str | bytes) -> Path:
    """Write a fixture file (text is dedented and written as UTF-8)."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return path


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle`` in a file."""
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def only(problems: list[Problem], code: str) -> Problem:
    """The one problem with ``code`` (fails listing all problems otherwise)."""
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, f"expected one {code}, got: " + "\n".join(map(str, problems))
    return found[0]


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


CONFIG = """\
version: 1
name: shopmate
description: Demo bot of an online retailer
languages: [zh, en]
data:
  intents: [data/intents.yaml]
  faq: [data/faq.yaml]
  profile: [data/profile.yaml]
  kb: [kb/]
min_examples_per_intent: 2
"""

INTENTS = """\
intents:
  - name: return_item
    description: The customer wants to return a product
    responses:
      zh: 您可以在“我的订单”中申请退货
      en: You can request a return under "My orders"
    examples:
      - 我想退货怎么办
      - how do I return an item
      - text: send it back to [Shenzhen](city)
  - name: order_status
    examples:
      - 我的快递到哪了
      - where is my parcel
  - name: oos
    examples:
      - 今天天气怎么样
      - tell me a joke
"""

FAQ = """\
faqs:
  - id: return-policy
    category: returns
    questions:
      - 退货政策是什么
      - What is your return policy?
    answer: 签收后 7 天内可无理由退货
  - id: shipping-fee
    questions: [运费多少]
    answers: {zh: 满 99 包邮, en: Free shipping from 99 yuan}
"""

PROFILE = """\
tags:
  - name: vip
    description: A member of the VIP programme
  - price_sensitive
examples:
  - text: 我是你们的钻石会员，这个能优先发货吗
    tags: [vip]
  - text: 我是黑卡会员
    tags: [vip]
  - text: I'm a platinum member
    tags: [vip]
  - text: 有没有优惠券？太贵了
    tags: [price_sensitive]
  - text: can you make it cheaper
    tags: [price_sensitive]
  - text: 再便宜点吧
    tags: [price_sensitive]
  - text: 你好
    tags: []
"""

KB = """\
# 退货说明

签收后 7 天内可无理由退货。
"""


def make_pdf(text: str, title: str | None = None) -> bytes:
    """A one-page PDF with ``text`` in Helvetica (ASCII), built by hand with a valid xref."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title is not None:
        objects.append(b"<< /Title (" + title.encode("latin-1") + b") >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = b" /Info %d 0 R" % len(objects) if title is not None else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info,
        xref,
    )
    return bytes(out)

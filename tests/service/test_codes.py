"""Every AM8xx code the service, storage and serve command use is listed (with its meaning) in
``aimass.errors.CODES``, and every listed AM8xx code has an HTTP status."""

from __future__ import annotations

import re
from pathlib import Path

import aimass
from aimass.errors import CODES
from aimass.service.errors import STATUS

ROOT = Path(aimass.__file__).parent


def test_service_codes_are_documented() -> None:
    files = [*(ROOT / "service").rglob("*.py"), *(ROOT / "storage").rglob("*.py")]
    files.append(ROOT / "cli" / "serve_cmd.py")
    used = {c for f in files for c in re.findall(r"\bAM8\d\d\b", f.read_text(encoding="utf-8"))}
    assert used, "no codes found"
    assert sorted(used - set(CODES)) == []
    listed = {c for c in CODES if c.startswith("AM8")}
    assert sorted(listed - set(STATUS) - {"AM800", "AM814", "AM817"}) == []

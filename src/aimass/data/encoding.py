"""Reading user files as text: UTF-8 only, and a helpful AM101 when a file is not.

We never guess an encoding: a GBK file decoded as Latin-1 would train the model on mojibake
without anyone noticing. Instead the problem names the first bad line and, when the bytes do
decode as GBK/GB18030 (what Excel and Notepad on Chinese Windows often write), says so.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from aimass.errors import Problem

__all__ = ["UTF8_HINT", "decode_text", "read_text"]

UTF8_HINT = "open the file in an editor and save it as UTF-8"

_UTF16_32_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode_text(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    """Decode UTF-8 (a UTF-8 BOM is dropped) and normalise line ends to ``\\n``."""
    for bom, name in _UTF16_32_BOMS:
        if data.startswith(bom):
            return None, Problem(
                "AM101",
                f"file is {name}-encoded, not UTF-8",
                file=file,
                line=1,
                hint=f"{UTF8_HINT} (without a byte-order mark is best)",
            )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        hint = f"save it as UTF-8: {UTF8_HINT}"
        if _decodes_as_gbk(data):
            hint = (
                "the file looks GBK/GB18030-encoded (common for files from Excel or Notepad "
                f"on Chinese Windows); save it as UTF-8: {UTF8_HINT}"
            )
        return None, Problem(
            "AM101",
            f"file cannot be decoded as UTF-8 (byte 0x{data[err.start]:02x} at line {line})",
            file=file,
            line=line,
            hint=hint,
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None


def read_text(path: Path, file: str) -> tuple[str | None, list[Problem]]:
    """Read ``path`` as UTF-8 text; ``file`` is the name problems report (relative path)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [Problem("AM104", "file not found", file=file)]
    except OSError as err:
        return None, [Problem("AM104", f"file cannot be read: {err.strerror}", file=file)]
    text, problem = decode_text(data, file)
    return text, [problem] if problem is not None else []


def _decodes_as_gbk(data: bytes) -> bool:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True

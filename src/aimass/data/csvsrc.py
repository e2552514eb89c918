"""CSV rows with the line each row starts on (a quoted cell may span several lines)."""

from __future__ import annotations

import csv
import io

from aimass.data.nodes import LDict, LStr
from aimass.errors import Problem

__all__ = ["load_csv"]


def load_csv(text: str, file: str) -> tuple[list[str], list[LDict], list[Problem]]:
    """Parse CSV with a header row; returns ``(header, rows, problems)``.

    Header names are stripped and lower-cased. Each row is an ``LDict`` of header -> ``LStr``
    cell (missing cells are ``""``, extra cells ignored); rows whose cells are all blank are
    skipped. A CSV syntax error is an AM102 on the line where it happened.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] = []
    rows: list[LDict] = []
    consumed = 0
    try:
        for cells in reader:
            start, consumed = consumed + 1, reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if not header:
                header = [c.strip().lstrip("\ufeff").lower() for c in cells]
                continue
            row = LDict(line=start)
            for index, name in enumerate(header):
                if name and name not in row:
                    row[name] = LStr(cells[index] if index < len(cells) else "", start)
            rows.append(row)
    except csv.Error as err:
        return (
            header,
            rows,
            [
                Problem(
                    "AM102",
                    f"invalid CSV: {err}",
                    file=file,
                    line=reader.line_num or None,
                    hint='quote a cell that contains a comma or a line break with "..."; '
                    'write a quote inside a quoted cell as ""',
                )
            ],
        )
    return header, rows, []

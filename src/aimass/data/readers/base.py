"""What every reader shares: finding files, parsing them, and reading fields with lines.

Readers never raise for bad data: each problem becomes a ``Problem`` with the file (relative
to the project root) and line, and the reader carries on so ``aimass validate`` can list
everything at once.

Two shapes of file, two levels of strictness:

* YAML (and JSON holding the same mapping) is written by people for AI Mass: an unknown key is
  an AM103 error, because a typo must not silently become a missing field.
* CSV, JSON Lines (and a JSON list of records) often come from other tools and benchmark sets:
  extra columns/keys are ignored.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aimass.data.csvsrc import load_csv
from aimass.data.encoding import read_text
from aimass.data.jsonsrc import iter_jsonl, load_json
from aimass.data.nodes import LDict, LList, line_in, line_of
from aimass.data.yamlsrc import load_yaml
from aimass.errors import Problem, Severity

__all__ = [
    "DATA_SUFFIXES",
    "Record",
    "Table",
    "as_text",
    "collect_files",
    "load_table",
    "relpath",
    "top_level",
]

DATA_SUFFIXES: dict[str, str] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".jsonl": "jsonl",
    ".csv": "csv",
}


def relpath(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with ``/`` separators (absolute when outside the root)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def collect_files(
    root: Path,
    entries: Sequence[tuple[str, int | None]],
    suffixes: Mapping[str, str],
    *,
    config_file: str = "aimass.yaml",
) -> tuple[list[Path], list[Problem]]:
    """Expand the entries of one ``data:`` list into files, in a stable order.

    A missing entry is AM104 (reported on its line in ``aimass.yaml``); a listed file of an
    unsupported type is an AM116 error; inside a folder such a file is an AM116 warning and is
    skipped (folders often hold READMEs). Hidden files and folders are ignored.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    wanted = ", ".join(sorted(suffixes))
    for entry, line in entries:
        path = (root / entry) if not Path(entry).is_absolute() else Path(entry)
        if not path.exists():
            problems.append(
                Problem(
                    "AM104",
                    f"{entry!r} is listed in {config_file} but does not exist",
                    file=config_file,
                    line=line,
                    hint="fix the path (relative to aimass.yaml) or remove the entry",
                )
            )
            continue
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            for candidate in candidates:
                if candidate.suffix.lower() in suffixes:
                    _add(candidate, files, seen)
                else:
                    problems.append(
                        Problem(
                            "AM116",
                            f"unsupported file type {candidate.suffix or '(none)'!r}; skipped",
                            file=relpath(candidate, root),
                            hint=f"supported here: {wanted}",
                            severity=Severity.WARNING,
                        )
                    )
        elif path.suffix.lower() in suffixes:
            _add(path, files, seen)
        else:
            problems.append(
                Problem(
                    "AM116",
                    f"unsupported file type {path.suffix or '(none)'!r} for {entry!r}",
                    file=config_file,
                    line=line,
                    hint=f"supported here: {wanted}",
                )
            )
    return files, problems


def _hidden(path: Path, base: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(base).parts)


def _add(path: Path, files: list[Path], seen: set[Path]) -> None:
    key = path.resolve()
    if key not in seen:
        seen.add(key)
        files.append(path)


@dataclass
class Table:
    """One parsed data file: a tree (YAML, JSON object) or rows (CSV, JSON Lines, JSON list)."""

    kind: str  # yaml | json | jsonl | csv
    file: str
    tree: Any = None
    rows: list[LDict] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_rows(self) -> bool:
        return self.kind in ("csv", "jsonl") or (
            self.kind == "json" and isinstance(self.tree, list)
        )


def load_table(path: Path, root: Path) -> Table:
    file = relpath(path, root)
    kind = DATA_SUFFIXES.get(path.suffix.lower(), "")
    table = Table(kind=kind, file=file)
    if not kind:
        table.problems.append(Problem("AM116", f"unsupported file type {path.suffix!r}", file=file))
        return table
    text, problems = read_text(path, file)
    table.problems.extend(problems)
    if text is None:
        return table
    if kind == "yaml":
        table.tree, problems = load_yaml(text, file)
    elif kind == "json":
        table.tree, problems = load_json(text, file)
        if isinstance(table.tree, LList):
            for index, item in enumerate(table.tree):
                if isinstance(item, LDict):
                    table.rows.append(item)
                else:
                    problems.append(_not_a_record(file, line_in(table.tree, index)))
    elif kind == "jsonl":
        problems = []
        for number, value in iter_jsonl(text, file, problems):
            if isinstance(value, LDict):
                table.rows.append(value)
            else:
                problems.append(_not_a_record(file, number))
    else:
        table.header, table.rows, problems = load_csv(text, file)
    table.problems.extend(problems)
    return table


def _not_a_record(file: str, line: int | None) -> Problem:
    return Problem("AM103", "expected a JSON object here", file=file, line=line)


def top_level(table: Table, allowed: Iterable[str], problems: list[Problem]) -> LDict | None:
    """The top-level mapping of a YAML/JSON file, with unknown keys reported (AM103)."""
    tree = table.tree
    if tree is None:
        return None
    allowed = list(allowed)
    if not isinstance(tree, LDict):
        problems.append(
            Problem(
                "AM103",
                f"expected a mapping with {' / '.join(repr(a) for a in allowed)} at the top",
                file=table.file,
                line=line_of(tree, 1),
                hint="see docs/project-format.md for the layout of this file",
            )
        )
        return None
    Record(tree, file=table.file, what="this file", problems=problems).check_keys(allowed)
    return tree


def as_text(value: Any) -> str | None:
    """A scalar as text (numbers from JSON count); ``None`` for anything else."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


class Record:
    """One mapping of a data file, read field by field with problems collected, not raised."""

    def __init__(
        self,
        data: Mapping[Any, Any],
        *,
        file: str,
        what: str,
        problems: list[Problem],
        line: int | None = None,
    ) -> None:
        self.data = data
        self.file = file
        self.what = what
        self.problems = problems
        self.line = line if line is not None else line_of(data)

    def line_of(self, key: str) -> int | None:
        return line_in(self.data, key, self.line)

    def error(self, message: str, key: str | None = None, hint: str | None = None) -> None:
        line = self.line_of(key) if key is not None else self.line
        self.problems.append(Problem("AM103", message, file=self.file, line=line, hint=hint))

    def check_keys(self, allowed: Iterable[str], required: Iterable[str] = ()) -> bool:
        """Report unknown keys (with a did-you-mean) and missing required ones."""
        allowed = list(allowed)
        ok = True
        for key in self.data:
            if key not in allowed:
                ok = False
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
                self.error(f"unknown field {key!r} in {self.what}", str(key), hint)
        for key in required:
            if self.data.get(key) is None:
                ok = False
                self.error(f"{self.what} has no {key!r}")
        return ok

    def text(self, key: str) -> str | None:
        """The field as text; ``None`` when absent; an AM103 when it is a list or mapping."""
        value = self.data.get(key)
        if value is None:
            return None
        text = as_text(value)
        if text is None:
            self.error(f"{key!r} in {self.what} must be text, not {_kind(value)}", key)
        return text

    def items(self, key: str) -> list[tuple[Any, int | None]]:
        """A list field's items with their lines; a single scalar counts as a one-item list."""
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return [(item, line_in(value, i, self.line_of(key))) for i, item in enumerate(value)]
        if as_text(value) is not None:
            return [(value, self.line_of(key))]
        self.error(f"{key!r} in {self.what} must be a list, not {_kind(value)}", key)
        return []

    def texts(self, key: str) -> list[tuple[str, int | None]]:
        """A list of texts with lines; non-text items are AM103 and left out."""
        result: list[tuple[str, int | None]] = []
        for item, line in self.items(key):
            text = as_text(item)
            if text is None:
                self.problems.append(
                    Problem(
                        "AM103",
                        f"items of {key!r} in {self.what} must be text, not {_kind(item)}",
                        file=self.file,
                        line=line,
                    )
                )
            else:
                result.append((text, line))
        return result

    def text_map(self, key: str) -> dict[str, str]:
        """A mapping of text to text (e.g. answers by language)."""
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(f"{key!r} in {self.what} must be a mapping (language: text)", key)
            return {}
        result: dict[str, str] = {}
        for name, item in value.items():
            text = as_text(item)
            if text is None:
                line = line_in(value, name, self.line_of(key))
                self.problems.append(
                    Problem("AM103", f"{key}.{name} must be text", file=self.file, line=line)
                )
            else:
                result[str(name)] = text
        return result


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__

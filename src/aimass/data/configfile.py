"""Reading ``aimass.yaml`` into a ``ProjectConfig``, with every schema error on its line.

Pydantic reports a location such as ``("thresholds", "faq")``; we walk the line-aware YAML
tree along it to find the line. When the config has errors we still try to read the data
(dropping just the bad fields) so that one ``aimass validate`` run lists everything.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from aimass.config import ProjectConfig
from aimass.config.project import PROJECT_FILE
from aimass.data.nodes import LDict, LList, line_at, line_in, to_plain
from aimass.data.yamlsrc import read_yaml
from aimass.errors import Problem

__all__ = ["data_entries", "read_config"]

_MAX_REPAIRS = 20


def read_config(root: Path) -> tuple[ProjectConfig | None, LDict | None, list[Problem]]:
    """``(config, raw tree, problems)``; config is ``None`` only when nothing usable remains.

    With schema errors the config returned is a best effort (bad fields left at defaults, a
    missing name taken from the folder): good enough to find and check the data files, never
    good enough to train, because the problems are errors.
    """
    raw, problems = read_yaml(root / PROJECT_FILE, PROJECT_FILE, typed=True)
    if problems:
        return None, None, problems
    if not isinstance(raw, LDict):
        return (
            None,
            None,
            [
                Problem(
                    "AM103",
                    f"{PROJECT_FILE} must be a mapping of settings (at least `name:`)",
                    file=PROJECT_FILE,
                    line=getattr(raw, "line", 1),
                    hint="see docs/project-format.md; `aimass init` writes a complete one",
                )
            ],
        )
    try:
        return ProjectConfig.model_validate(to_plain(raw)), raw, []
    except ValidationError as err:
        problems = [_problem(error, raw) for error in err.errors()]
    return _repair(raw, root), raw, problems


def _problem(error: Any, raw: LDict) -> Problem:
    loc = tuple(error["loc"])
    path = ".".join(str(p) for p in loc) or "(top level)"
    line = line_at(raw, loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed here: {', '.join(allowed)}"
        return Problem("AM103", f"unknown field {path!r}", file=PROJECT_FILE, line=line, hint=hint)
    if kind == "missing":
        return Problem(
            "AM103",
            f"required field {path!r} is missing",
            file=PROJECT_FILE,
            line=line,
            hint=f"add `{loc[-1]}: ...`",
        )
    shown = repr(error.get("input"))
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    as_list = kind == "list_type" and loc[:1] == ("data",)
    return Problem(
        "AM103",
        f"{path}: {error['msg']} (got {shown})",
        file=PROJECT_FILE,
        line=line,
        hint=f"write it as a list: [{error.get('input')}]" if as_list else None,
    )


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = ProjectConfig
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _repair(raw: LDict, root: Path) -> ProjectConfig | None:
    data = to_plain(raw)
    for _ in range(_MAX_REPAIRS):
        try:
            return ProjectConfig.model_validate(data)
        except ValidationError as err:
            for error in err.errors():
                loc = tuple(error["loc"])
                if error["type"] == "missing" and loc == ("name",):
                    data["name"] = root.resolve().name or "bot"
                elif loc:
                    _drop(data, loc)
                else:
                    return None
    return None


def _drop(data: Any, loc: tuple[Any, ...]) -> None:
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict):
        node.pop(loc[-1], None)
    elif isinstance(node, list) and isinstance(loc[-1], int) and loc[-1] < len(node):
        node.pop(loc[-1])


def data_entries(
    config: ProjectConfig, raw: LDict | None, kind: str
) -> list[tuple[str, int | None]]:
    """The entries of ``data.<kind>`` with the line each is written on in ``aimass.yaml``."""
    entries: list[str] = getattr(config.data, kind)
    lines: dict[str, int | None] = {}
    section = raw.get("data") if raw is not None else None
    listed = section.get(kind) if isinstance(section, LDict) else None
    if isinstance(listed, LList):
        for index, item in enumerate(listed):
            lines.setdefault(str(item), line_in(listed, index))
    fallback = line_in(section, kind) if isinstance(section, LDict) else None
    return [(entry, lines.get(entry, fallback)) for entry in entries]

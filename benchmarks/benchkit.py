"""Small helpers the benchmark scripts share (run as ``python benchmarks/<script>.py``, so
this folder is on ``sys.path``)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def parse_settings(items: list[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` pairs as a dict, each value read as JSON when it parses."""
    out: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def add_settings_option(p: argparse.ArgumentParser, help: str) -> None:
    """The repeatable ``--set KEY=VALUE`` option (into ``args.settings``; read it with
    :func:`parse_settings`)."""
    p.add_argument(
        "--set", dest="settings", action="append", default=[], metavar="KEY=VALUE", help=help
    )


def git_commit() -> str:
    """The short commit measured, ``-dirty`` when tracked code differs from it (the results
    the scripts rewrite do not count); ``unknown`` outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!benchmarks/results",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
        ).stdout.strip()
        return (head or "unknown") + ("-dirty" if dirty else "")
    except OSError:
        return "unknown"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so that a run killed
    half-way never leaves half a results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

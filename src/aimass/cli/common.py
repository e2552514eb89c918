"""What every command shares: coded errors without tracebacks, locating artifacts."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from aimass.errors import AimassError

F = TypeVar("F", bound=Callable[..., Any])

ARTIFACT_SUBDIR = Path(".aimass") / "model"


def handle_errors(fn: F) -> F:
    """Print an AimassError as ``error [AMxxx] ...`` plus its hint, exit 1; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AimassError as e:
            typer.secho(f"error {e}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )


def artifact_path(path: Path) -> Path:
    """Accept an artifact directory or a project directory (its default artifact)."""
    if (path / "aimass-artifact.json").exists():
        return path
    if (path / "aimass.yaml").exists():
        return path / ARTIFACT_SUBDIR
    return path

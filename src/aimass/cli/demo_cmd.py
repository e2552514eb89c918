"""``aimass demo``: the main job on the bundled demo bot.

Prepares the backbone, trains the demo bot when no up-to-date trained model is there (with a
progress bar), answers a few example questions, then serves the bot over HTTP with its chat
widget and admin console (``--no-serve``: the terminal chat instead).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import typer

from aimass.cli.common import handle_errors, setup_logging

EXAMPLES = [
    "我想退货怎么办",
    "how do I return an item",
    "你们支持花呗吗",
    "what's the weather on Mars",
]


def demo_project() -> Path:
    return Path(__file__).resolve().parents[1] / "demo" / "shopmate"


def project_digest(project: Path) -> str:
    """A digest of the demo bot's files: retrain when the bundled data changes."""
    h = hashlib.sha256()
    for f in sorted(p for p in project.rglob("*") if p.is_file() and ".aimass" not in p.parts):
        h.update(str(f.relative_to(project)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@handle_errors
def demo(
    retrain: bool = typer.Option(False, help="Train again even if a trained demo model exists."),
    chat: bool = typer.Option(True, help="Open the terminal chat after the examples."),
    serve: bool = typer.Option(
        True, help="End in the HTTP service with its chat widget and console (else the chat)."
    ),
    port: int = typer.Option(8000, help="Port for the service."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Train (if needed) and chat with the bundled bilingual demo bot."""
    setup_logging(verbose)
    from aimass.paths import aimass_home

    project = demo_project()
    model_dir = aimass_home() / "demo" / "shopmate-model"
    stamp = model_dir.parent / "shopmate-model.digest"
    digest = project_digest(project)
    fresh = (
        (model_dir / "aimass-artifact.json").exists()
        and stamp.exists()
        and stamp.read_text().strip() == digest
    )
    if retrain or not fresh:
        from aimass.encoders.backbone import resolve_backbone
        from aimass.training.from_project import train_project

        typer.secho(
            "preparing the backbone (first run converts multilingual-e5-small, ~15 s)…", bold=True
        )
        resolve_backbone("e5-small")
        typer.secho(f"training the demo bot from {project} …", bold=True)
        train_project(project, model_dir)
        stamp.write_text(digest, encoding="utf-8")
    typer.secho(f"demo model: {model_dir}", bold=True)

    from aimass.cli.render import render_reply
    from aimass.runtime.assistant import Assistant

    assistant = Assistant.load(model_dir)
    for text in EXAMPLES:
        typer.secho(f"you> {text}", fg=typer.colors.CYAN)
        render_reply(assistant.respond(text))
    if serve:
        from aimass.cli.serve_cmd import start_service
        from aimass.storage.db import sqlite_url

        del assistant  # the service loads its own copy
        url = sqlite_url(aimass_home() / "demo" / "service.db")
        start_service(model_dir, port=port, url=url, verbose=verbose, demo=True)
    elif chat:
        from aimass.cli.model_cmds import chat as chat_cmd

        chat_cmd(model=model_dir, details=True, user="demo-user")

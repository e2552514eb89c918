"""Project commands: init, validate, import."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from aimass.cli.common import handle_errors


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("validate")(validate)
    app.command("import")(import_)


@handle_errors
def init(
    directory: Path = typer.Argument(
        ..., help="Folder to create the project in (must be empty or absent)."
    ),
    name: str = typer.Option("", help="Project name (default: the folder name)."),
    language: str = typer.Option("zh", help="Language of the starter examples: zh, en or both."),
) -> None:
    """Scaffold a new bot project with a few starter intents, FAQs, a KB document and tags."""
    from aimass.data.scaffold import init_project

    init_project(directory, name=name or directory.name, language=language)
    typer.echo(
        f"created {directory}; next: aimass validate {directory} && aimass train {directory}"
    )


@handle_errors
def validate(
    project: Path = typer.Argument(..., help="The bot project folder."),
    as_json: bool = typer.Option(False, "--json", help="Print problems as JSON."),
) -> None:
    """List every problem in a project with file, line and code; exit 1 if any is an error."""
    from aimass.data.project import validate_project
    from aimass.errors import Severity

    problems = validate_project(project)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if as_json:
        typer.echo(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        for p in problems:
            colour = typer.colors.RED if p.severity is Severity.ERROR else typer.colors.YELLOW
            typer.secho(str(p), fg=colour)
        warnings = len(problems) - len(errors)
        summary = f"{len(errors)} error(s), {warnings} warning(s) in {project}"
        typer.secho(summary if problems else f"{project}: no problems", bold=True)
    if errors:
        raise typer.Exit(1)


@handle_errors
def import_(
    source: Path = typer.Argument(
        ..., help="A Rasa, LUIS, CLU, Dialogflow ES or PaddleNLP export."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="New project folder to write."),
    fmt: str = typer.Option(
        "", "--format", "-f", help="rasa | luis | clu | dialogflow | paddlenlp (default: detect)."
    ),
    name: str = typer.Option("", help="Project name (default: the output folder name)."),
    overwrite: bool = typer.Option(False, help="Replace the output folder if it exists."),
) -> None:
    """Convert another tool's data into an AI Mass project, reporting what did not map."""
    from aimass.data.importers import import_any

    result = import_any(source, format=fmt or None)
    result.write(out, name=name or out.name, overwrite=overwrite)
    typer.echo(f"{result.summary()} -> {out}")
    for p in result.skipped:
        typer.secho(str(p), fg=typer.colors.YELLOW)

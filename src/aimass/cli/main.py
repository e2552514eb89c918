"""``aimass``: the entry point. Imports nothing heavy; each command imports what it needs."""

from __future__ import annotations

import typer

from aimass import __version__
from aimass.cli import (
    augment_cmd,
    bench_cmd,
    compress_cmd,
    demo_cmd,
    explain_cmd,
    learn_cmd,
    model_cmds,
    policy_cmd,
    project_cmds,
    serve_cmd,
)

app = typer.Typer(
    name="aimass",
    help="AI Mass: an intelligent customer-service assistant (智能客服) on pre-trained transformers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

project_cmds.register(app)
model_cmds.register(app)
demo_cmd.register(app)
serve_cmd.register(app)
augment_cmd.register(app)
compress_cmd.register(app)
explain_cmd.register(app)
learn_cmd.register(app)
app.add_typer(bench_cmd.app, name="bench")
app.add_typer(policy_cmd.app, name="policy")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aimass {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """AI Mass command line."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""``aimass explain``: why the bot reads a message the way it does, in colour."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from aimass.cli.common import artifact_path, handle_errors

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console
    from rich.text import Text

    from aimass.schemas.response import Explanation, Highlight


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


@handle_errors
def explain(
    message: str = typer.Argument(..., help="The customer's message."),
    model: Path = typer.Option(
        Path("."), "--model", "-m", help="An artifact folder or a trained project folder."
    ),
    method: str = typer.Option(
        "occlusion",
        "--method",
        help="occlusion (delete each word, any model incl. ONNX) or ig (integrated "
        "gradients, torch model).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the Explanation as JSON."),
) -> None:
    """Explain one message: which words drove the intent (green for, red against), the
    runner-up and why it lost, the nearest training examples, and which words matched the
    FAQ question or knowledge-base passage."""
    from aimass.runtime.assistant import Assistant

    assistant = Assistant.load(artifact_path(model))
    e = assistant.explain(message, method)
    if as_json:
        typer.echo(e.model_dump_json(indent=2))
    else:
        render_explanation(e)


def attribution_text(e: Explanation) -> Text:
    """The message with each word's background coloured by its attribution (green pushes
    towards the intent, red away; stronger colour = larger share)."""
    from rich.text import Text

    text = Text(e.text)
    top = max((abs(a.score) for a in e.attributions), default=0.0)
    if top <= 0:
        return text
    for a in e.attributions:
        share = abs(a.score) / top
        if share < 0.05:
            continue
        level = int(90 + 120 * share)
        colour = f"#00{level:02x}00" if a.score > 0 else f"#{level:02x}0000"
        text.stylize(f"bold white on {colour}", a.start, a.end)
    return text


def _highlighted(s: str, spans: list[Highlight]) -> Text:
    from rich.text import Text

    t = Text(s)
    for h in spans:
        t.stylize("bold underline cyan", h.start, h.end)
    return t


def render_explanation(e: Explanation, console: Console | None = None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    console.print(Text("message  ").append_text(attribution_text(e)))
    if e.intent is not None:
        scope = " · out of scope" if e.out_of_scope else ""
        if e.scope_score is not None:
            scope += f" (in-scope score {e.scope_score:.2f}, threshold {e.scope_threshold:.2f})"
        console.print(
            f"intent   [bold]{e.intent}[/bold] {e.confidence:.2f}{scope}", highlight=False
        )
        if e.runner_up is not None:
            console.print(f"runner-up {e.why_runner_up_lost}", highlight=False)
    if e.attributions:
        table = Table(title=f"word attributions ({e.method})", header_style="bold")
        table.add_column("word")
        table.add_column("chars", justify="right")
        table.add_column("attribution (log-odds)", justify="right")
        for a in sorted(e.attributions, key=lambda a: -a.score):
            style = "green" if a.score > 0 else "red" if a.score < 0 else "dim"
            table.add_row(a.text, f"{a.start}-{a.end}", Text(f"{a.score:+.3f}", style=style))
        console.print(table)
    if e.nearest:
        table = Table(title="nearest training examples", header_style="bold")
        table.add_column("example")
        table.add_column("intent")
        table.add_column("cosine", justify="right")
        for n in e.nearest:
            table.add_row(n.text, n.intent, f"{n.similarity:.3f}")
        console.print(table)
    if e.matches:
        table = Table(title="FAQ / knowledge-base word matches", header_style="bold")
        table.add_column("match")
        table.add_column("in the message")
        table.add_column("in the matched text")
        table.add_column("confidence", justify="right")
        for m in e.matches:
            table.add_row(
                f"{m.kind} {m.id}",
                _highlighted(e.text, m.highlights),
                _highlighted(
                    m.matched_text[:200], [h for h in m.matched_highlights if h.end <= 200]
                ),
                f"{m.confidence:.2f}",
            )
        console.print(table)

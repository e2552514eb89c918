"""Model commands: train, ask, chat, eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from aimass.cli.common import ARTIFACT_SUBDIR, artifact_path, handle_errors, setup_logging

if TYPE_CHECKING:
    from aimass.schemas import FaqMatch, KbMatch


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("ask")(ask)
    app.command("search")(search)
    app.command("chat")(chat)
    app.command("eval")(evaluate)


@handle_errors
def train(
    project: Path = typer.Argument(..., help="The bot project folder."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help=f"Artifact folder (default: PROJECT/{ARTIFACT_SUBDIR})."
    ),
    epochs: float | None = typer.Option(None, help="Override training.epochs."),
    seed: int | None = typer.Option(None, help="Override training.seed."),
    backbone: str | None = typer.Option(
        None, help="Override training.backbone (e5-small or a local HF folder)."
    ),
    max_minutes: float | None = typer.Option(
        None, help="Stop after this many minutes, keeping the best checkpoint."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each evaluation."),
) -> None:
    """Train the multi-task model (intents, profile tags, FAQ matching) of a project.

    Invalid data is refused with every problem listed. Runs unchanged under torchrun:
    ``torchrun --nproc-per-node 2 -m aimass.cli.main train PROJECT``.
    """
    setup_logging(verbose)
    from aimass.training.from_project import train_project

    overrides = {
        k: v
        for k, v in {
            "epochs": epochs,
            "seed": seed,
            "backbone": backbone,
            "max_minutes": max_minutes,
        }.items()
        if v is not None
    }
    dest = out or project / ARTIFACT_SUBDIR
    train_project(project, dest, overrides=overrides, progress=not quiet)
    metrics = (
        json.loads((dest / "metrics.json").read_text(encoding="utf-8"))
        if (dest / "metrics.json").exists()
        else {}
    )
    dev = metrics.get("dev", {})
    summary = ", ".join(
        f"{t}: " + ", ".join(f"{k}={v:.3f}" for k, v in m.items() if k != "n")
        for t, m in dev.items()
    )
    typer.echo(f"model written to {dest}" + (f" (dev {summary})" if summary else ""))


@handle_errors
def ask(
    message: str = typer.Argument(..., help="The customer's message."),
    model: Path = typer.Option(
        Path("."), "--model", "-m", help="An artifact folder or a trained project folder."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the full typed response as JSON."),
    user: str | None = typer.Option(None, help="User id."),
    session: str | None = typer.Option(None, help="Session id."),
) -> None:
    """Answer one message and show why (intent, confidence, FAQ match, decision)."""
    from aimass.cli.render import render_response
    from aimass.runtime.assistant import Assistant

    assistant = Assistant.load(artifact_path(model))
    response = assistant.respond(message, user_id=user, session_id=session)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
    else:
        render_response(response)


@handle_errors
def search(
    query: str = typer.Argument(..., help="A question, as a customer would ask it."),
    model: Path = typer.Option(
        Path("."), "--model", "-m", help="An artifact folder or a trained project folder."
    ),
    kb: bool = typer.Option(False, "--kb", help="Search the knowledge base instead of the FAQs."),
    duplicates: bool = typer.Option(
        False, "--duplicates", help="Only FAQs this question probably duplicates."
    ),
    k: int = typer.Option(5, "-k", min=1, max=50, help="How many results."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Search the FAQs (hybrid: words + meaning) or the knowledge base, with highlights."""
    import json

    from rich.console import Console

    from aimass.cli.render import marked
    from aimass.runtime.assistant import Assistant

    assistant = Assistant.load(artifact_path(model))
    hits: list[KbMatch] | list[FaqMatch]
    if kb:
        hits = assistant.search_kb(query, k=k)
    elif duplicates:
        hits = assistant.find_duplicates(query, k=k)
    else:
        hits = assistant.search_faqs(query, k=k)
    if as_json:
        typer.echo(json.dumps([h.model_dump() for h in hits], ensure_ascii=False, indent=2))
        return
    console = Console()
    if not hits:
        console.print("no match" if not duplicates else "no duplicate found")
    for i, h in enumerate(hits, 1):
        if kb:
            p = cast("KbMatch", h)
            console.print(f"{i}. [bold]{p.source}[/bold]  {p.confidence:.3f}  ({p.title})")
            console.print(marked(p.text, p.highlights))
            if p.best_sentence is not None:
                best = p.text[p.best_sentence.start : p.best_sentence.end]
                console.print(f"   [green]best sentence:[/green] {best}")
        else:
            m = cast("FaqMatch", h)
            line = marked(m.matched_question, m.matched_highlights)
            console.print(
                f"{i}. [bold]{m.faq_id}[/bold]  confidence {m.confidence:.3f}  "
                f"(cosine {m.score:.3f}, BM25 {m.lexical:.2f})  ",
                end="",
            )
            console.print(line)


@handle_errors
def chat(
    model: Path = typer.Option(
        Path("."), "--model", "-m", help="An artifact folder or a trained project folder."
    ),
    details: bool = typer.Option(
        True, help="Show intent, confidence and decision under each reply."
    ),
    user: str = typer.Option("terminal-user", help="User id for this chat."),
) -> None:
    """Chat with the bot in the terminal (type /quit or press Ctrl-D to leave)."""
    import uuid

    from aimass.cli.render import render_reply
    from aimass.errors import InputError
    from aimass.runtime.assistant import Assistant

    assistant = Assistant.load(artifact_path(model))
    session = uuid.uuid4().hex[:12]
    typer.secho("AI Mass chat — 输入问题开始对话; /quit to leave", bold=True)
    while True:
        try:
            line = input("you> ")
        except EOFError:
            typer.echo("")
            break
        if line.strip() in {"/quit", "/exit", "/q"}:
            break
        if not line.strip():
            continue
        try:
            response = assistant.respond(line, user_id=user, session_id=session)
        except InputError as e:
            typer.secho(f"error {e}", fg=typer.colors.RED)
            continue
        render_reply(response, details=details)


@handle_errors
def evaluate(
    model: Path = typer.Argument(..., help="An artifact folder or a trained project folder."),
    data: Path = typer.Option(
        ..., "--data", "-d", help="Labelled messages: .jsonl/.csv/.yaml intent file."
    ),
    out: Path = typer.Option(
        Path("eval-report"), "--out", "-o", help="Folder for metrics.json and report.html."
    ),
) -> None:
    """Evaluate intents on labelled data: metrics JSON and an HTML report (confusion matrix,
    per-intent precision/recall/F1)."""
    from aimass.evaluation.evaluate import evaluate_artifact

    metrics = evaluate_artifact(artifact_path(model), data, out)
    keys = ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "ece", "n")
    typer.echo(json.dumps({k: metrics.get(k) for k in keys}, ensure_ascii=False))
    typer.echo(f"report: {out / 'report.html'}")

"""Pretty terminal output of a Response (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from aimass.schemas import Highlight, Response

_COLOURS = {
    "answer": "green",
    "clarify": "yellow",
    "handoff": "magenta",
    "fallback": "red",
    "refuse": "red",
}


def render_reply(
    response: Response, *, details: bool = True, console: Console | None = None
) -> None:
    console = console or Console()
    d = response.decision
    console.print(f"[bold]bot>[/bold] {d.reply}")
    for i, opt in enumerate(d.options, 1):
        console.print(f"     {i}. {opt}")
    if details:
        top = response.intent
        intent = f"{top.name} {top.confidence:.2f}" if top else "-"
        faq = (
            f"{response.faqs[0].faq_id} {response.faqs[0].confidence:.2f}" if response.faqs else "-"
        )
        tags = ", ".join(f"{t.name} {t.confidence:.2f}" for t in response.tags) or "-"
        colour = _COLOURS.get(d.kind.value, "white")
        console.print(
            f"     [dim]{d.kind.value}[/dim] [{colour}]{d.decided_by}[/{colour}] · intent {intent}"
            f" · faq {faq} · tags {tags}{' · out-of-scope' if response.out_of_scope else ''}",
            highlight=False,
        )


def render_response(response: Response, console: Console | None = None) -> None:
    console = console or Console()
    render_reply(response, details=False, console=console)
    table = Table(show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("value")
    d = response.decision
    table.add_row("decision", f"{d.kind.value} by {d.decided_by}: {d.reason}")
    if d.trace:
        steps = Text()
        for step in d.trace:
            style = "bold" if step.fired else "dim"
            steps.append(f"{'●' if step.fired else '○'} {step.rule} ({step.kind})", style=style)
            steps.append(f"  {step.detail}\n" if step.detail else "\n", style="dim")
        table.add_row("policy trace", steps)
    if response.redacted_text is not None:
        table.add_row("stored as", response.redacted_text)
    table.add_row("language", response.language)
    table.add_row("out of scope", "yes" if response.out_of_scope else "no")
    table.add_row(
        "intents", "\n".join(f"{s.name}  {s.confidence:.3f}" for s in response.intents[:3]) or "-"
    )
    faqs = Text()
    for f in response.faqs[:3]:
        faqs.append(f"{f.faq_id}  {f.confidence:.3f}  (")
        faqs.append_text(marked(f.matched_question, f.matched_highlights))
        faqs.append(")\n")
    table.add_row("FAQs", faqs if response.faqs else "-")
    kb = Text()
    for k in response.kb[:2]:
        kb.append(f"{k.source}  {k.confidence:.3f}\n", style="dim")
        best = k.best_sentence or Highlight(start=0, end=min(len(k.text), 80))
        words = [
            Highlight(start=h.start - best.start, end=h.end - best.start)
            for h in k.highlights
            if best.start <= h.start and h.end <= best.end
        ]
        kb.append_text(marked(k.text[best.start : best.end], words))
        kb.append("\n")
    table.add_row("knowledge base", kb if response.kb else "-")
    table.add_row(
        "profile tags", "\n".join(f"{t.name}  {t.confidence:.3f}" for t in response.tags) or "-"
    )
    console.print(table)


def marked(text: str, spans: list[Highlight]) -> Text:
    """``text`` with the matching spans in bold yellow (offsets from the text layer)."""
    out = Text(text)
    for h in spans:
        out.stylize("bold yellow", h.start, h.end)
    return out

"""``aimass augment``: write label-preserving augmented examples of a project for review."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from aimass.cli.common import artifact_path, handle_errors, setup_logging
from aimass.generative.client import DEFAULT_KEY_ENV


def register(app: typer.Typer) -> None:
    app.command("augment")(augment)


@handle_errors
def augment(
    project: Path = typer.Argument(..., help="The bot project folder."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output .yaml or .jsonl (never a project file)."
    ),
    model: Path | None = typer.Option(
        None,
        "--model",
        "-m",
        help="Trained artifact that checks each candidate (default: the project's own).",
    ),
    per_example: int = typer.Option(3, "--per-example", help="Augmented examples per example."),
    augmenters: str | None = typer.Option(
        None,
        "--augmenters",
        help="Comma-separated augmenter names (default: all but width and neighbour).",
    ),
    intents: str = typer.Option(
        "worst:10", "--intents", help="worst:K (lowest dev F1), all, or comma-separated names."
    ),
    seed: int = typer.Option(0, "--seed", help="Same seed, same output."),
    threshold: float = typer.Option(
        0.5,
        "--threshold",
        help="Keep a candidate only if the model gives its intent at least this.",
    ),
    dev: Path | None = typer.Option(
        None,
        "--dev",
        help="Labelled dev file to find the worst intents (default: cross-validation).",
    ),
    oversample: int = typer.Option(
        3, "--oversample", help="Candidates judged per kept example (the filter's budget)."
    ),
    generator_url: str | None = typer.Option(
        None,
        "--generator-url",
        envvar="AIMASS_GENERATOR_URL",
        help="An OpenAI-compatible API (e.g. http://127.0.0.1:8000/v1) whose model writes"
        " rewrites: the llm augmenter.",
    ),
    generator_model: str | None = typer.Option(
        None,
        "--generator-model",
        envvar="AIMASS_GENERATOR_MODEL",
        help="The model name the endpoint serves.",
    ),
    generator_key_env: str = typer.Option(
        DEFAULT_KEY_ENV,
        "--generator-key-env",
        help="Environment variable holding the endpoint's API key (never passed on the line).",
    ),
    generator_timeout: float = typer.Option(
        60.0, "--generator-timeout", help="Seconds to wait for one reply."
    ),
    generator_concurrency: int = typer.Option(
        4, "--generator-concurrency", help="Requests in flight at once."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing output file."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Augment the intents the model gets most wrong and write the result for review.

    A candidate is kept only if the model still gives it the original intent (with at least the
    threshold's confidence) and it duplicates nothing; the report says what was rejected, why.
    """
    setup_logging(verbose)
    from aimass.augment.project import augment_project

    names = [n.strip() for n in augmenters.split(",") if n.strip()] if augmenters else None
    generator = None
    if generator_url or generator_model:
        from aimass.generative import ChatEndpoint

        generator = ChatEndpoint.from_options(
            generator_url or "",
            generator_model or "",
            key_env=generator_key_env,
            timeout=generator_timeout,
        )
    report = augment_project(
        project,
        artifact_path(model if model is not None else project),
        out,
        per_example=per_example,
        augmenters=names,
        intents=intents,
        seed=seed,
        threshold=threshold,
        oversample=oversample,
        dev=dev,
        force=force,
        generator=generator,
        generator_options={"concurrency": generator_concurrency},
    )
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    reasons = ", ".join(f"{k} {v}" for k, v in report["by_reason"].items() if v) or "none"
    share = report["rejected_share"]
    typer.echo(
        f"wrote {report['selected']} augmented examples for {len(report['intents'])} intent(s)"
        f" to {out}\n{report['candidates']} candidates checked, {report['rejected']} rejected"
        + (f" ({share:.0%})" if share is not None else "")
        + f": {reasons}"
    )
    for name, stats in report.get("augmenter_stats", {}).items():
        endpoint = stats.get("endpoint") or {}
        typer.echo(
            f"{name}: {stats['asked']} examples sent to {endpoint.get('model', '?')}"
            f" at {endpoint.get('url', '?')}, {stats['failed']} failed"
        )

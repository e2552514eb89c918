"""``aimass bench intent|match|faq``: the fixed benchmark interface of PRODUCT.md.

Each command trains on --train, selects and calibrates on --dev, evaluates the model as
served on --test, and prints one JSON object (also written to --out).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from aimass.cli.common import handle_errors, setup_logging

app = typer.Typer(
    help="Benchmark one task kind on train/dev/test files; prints one JSON object.",
    no_args_is_help=True,
)

_SET = typer.Option(
    None, "--set", help="Override a training setting, e.g. --set epochs=3 (repeatable)."
)


def _overrides(items: list[str] | None) -> dict[str, Any]:
    from aimass.errors import TrainingError

    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise TrainingError(
                f"--set expects KEY=VALUE, got {item!r}", code="AM500", hint="e.g. --set epochs=3"
            )
        key, value = item.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _emit(result: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(out)
    typer.echo(text)


def _validated(fn: Any, overrides: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from aimass.errors import TrainingError

    try:
        return fn()
    except ValidationError as e:
        raise TrainingError(
            f"invalid --set: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}", code="AM500"
        ) from None


@app.command("intent")
@handle_errors
def intent(
    train: Path = typer.Option(..., "--train", help="Training JSONL {text, label}."),
    dev: Path = typer.Option(..., "--dev", help="Dev JSONL for model selection and calibration."),
    test: Path = typer.Option(..., "--test", help="Test JSONL."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON result here."),
    model_out: Path | None = typer.Option(
        None, "--model-out", help="Keep the trained artifact here."
    ),
    sets: list[str] | None = _SET,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Intent classification with out-of-scope detection (label "oos")."""
    setup_logging(verbose)
    from aimass.evaluation.bench import bench_intent

    ov = _overrides(sets)
    _emit(
        _validated(lambda: bench_intent(train, dev, test, overrides=ov, model_out=model_out), ov),
        out,
    )


@app.command("match")
@handle_errors
def match(
    train: Path = typer.Option(..., "--train", help="Training JSONL {text_a, text_b, label}."),
    dev: Path = typer.Option(
        ..., "--dev", help="Dev JSONL for selection and the decision threshold."
    ),
    test: Path = typer.Option(..., "--test", help="Test JSONL."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON result here."),
    model_out: Path | None = typer.Option(
        None, "--model-out", help="Keep the trained artifact here."
    ),
    sets: list[str] | None = _SET,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Question matching: do two questions mean the same?"""
    setup_logging(verbose)
    from aimass.evaluation.bench import bench_match

    ov = _overrides(sets)
    _emit(
        _validated(lambda: bench_match(train, dev, test, overrides=ov, model_out=model_out), ov),
        out,
    )


@app.command("faq")
@handle_errors
def faq(
    faq_file: Path = typer.Option(..., "--faq", help="FAQ bank JSONL {id, question, answer}."),
    test: Path = typer.Option(..., "--test", help="Test queries JSONL {text, faq_id}."),
    train: Path | None = typer.Option(
        None, "--train", help="Training queries (optional: zero-shot without)."
    ),
    dev: Path | None = typer.Option(None, "--dev", help="Dev queries (optional)."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON result here."),
    model_out: Path | None = typer.Option(
        None, "--model-out", help="Keep the trained artifact here."
    ),
    sets: list[str] | None = _SET,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """FAQ retrieval: rank the FAQ bank for each query."""
    setup_logging(verbose)
    from aimass.evaluation.bench import bench_faq

    ov = _overrides(sets)
    _emit(
        _validated(
            lambda: bench_faq(
                faq_file, test, train=train, dev=dev, overrides=ov, model_out=model_out
            ),
            ov,
        ),
        out,
    )

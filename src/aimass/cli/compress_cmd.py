"""``aimass compress``: a trained artifact -> an ONNX (int8 where faster) artifact, with a
report of every stage's size, latency and accuracy."""

from __future__ import annotations

from pathlib import Path

import typer

from aimass.cli.common import artifact_path, handle_errors, setup_logging


def register(app: typer.Typer) -> None:
    app.command("compress")(compress)


@handle_errors
def compress(
    model: Path = typer.Argument(..., help="A trained artifact folder or a project folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the compressed artifact."),
    max_accuracy_drop: float = typer.Option(
        1.0, help="Largest accuracy loss accepted, in points (dev accuracy with --dev)."
    ),
    dev: Path | None = typer.Option(
        None, help="Labelled messages (.jsonl/.csv/.yaml) to measure accuracy on."
    ),
    threads: int | None = typer.Option(
        None, help="CPU threads for the latency measurements (default: up to 4)."
    ),
    int8: bool = typer.Option(True, help="Try int8 quantisation (--no-int8: fp32 ONNX only)."),
    layers: int | None = typer.Option(
        None, help="Student: keep this many encoder layers (evenly spaced, from the model)."
    ),
    layer_choice: str = typer.Option(
        "importance", help="Which layers a student keeps: importance (measured) or even."
    ),
    prune_ffn: float | None = typer.Option(
        None, help="Remove this fraction of FFN neurons per layer, least important first."
    ),
    prune_heads: float | None = typer.Option(
        None, help="Remove this fraction of attention heads per layer, least important first."
    ),
    vocab_reserve: int | None = typer.Option(
        None, help="Trim the student's vocabulary to the data's pieces plus this many spare."
    ),
    distill: bool = typer.Option(
        True, help="Train the student on the teachers (--no-distill: on the labels only)."
    ),
    train: Path | None = typer.Option(
        None, help="Labelled training messages the student learns from (needed by a student)."
    ),
    unlabelled: Path | None = typer.Option(
        None, help="Extra unlabelled messages (one per line or JSONL): soft targets only."
    ),
    augment: int = typer.Option(
        0,
        help="Add N rewrites of each training message (typos, swaps, synonyms...) for the "
        "teachers to label: a larger transfer set for distillation.",
    ),
    fuse_teacher_experts: bool = typer.Option(
        True,
        help="Let the served fusion use the experts the student learned from (weights fitted "
        "on dev); --no-fuse-teacher-experts serves the student alone, without their encoders.",
    ),
    as_served: bool = typer.Option(
        False,
        "--as-served",
        help="Train the student as it is served: its losses read it fused with the "
        "artifact's intent experts (out of fold on the training messages), so it learns what "
        "they miss instead of what they already know.",
    ),
    teachers: str = typer.Option(
        "lexical", help="Teachers besides the model itself, comma-separated (lexical, use)."
    ),
    teacher_weights: str | None = typer.Option(
        None, help='Fixed teacher weights, e.g. "model=0.7,lexical=0.3" (default: fit on dev).'
    ),
    distill_epochs: float = typer.Option(4.0, help="Epochs of student training."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each step."),
) -> None:
    """Export to ONNX, quantise to int8 where it is faster, keep the best candidate within
    the accuracy budget. The result is served without torch (`aimass ask -m OUT`)."""
    setup_logging(verbose)
    from aimass.compress.chain import compress as run_chain
    from aimass.compress.student import stages_from_options

    say = (lambda m: typer.echo(m, err=True)) if verbose else None
    stages = stages_from_options(
        artifact_path(model),
        train=train,
        dev=dev,
        unlabelled=unlabelled,
        augment=augment,
        fuse_teacher_experts=fuse_teacher_experts,
        as_served=as_served,
        layers=layers,
        prune_ffn=prune_ffn,
        prune_heads=prune_heads,
        vocab_reserve=vocab_reserve,
        distil=distill,
        teachers=[t.strip() for t in teachers.split(",") if t.strip()],
        teacher_weights=teacher_weights,
        epochs=distill_epochs,
        layer_choice=layer_choice,
        progress=say,
    )
    report = run_chain(
        artifact_path(model),
        out,
        dev=dev,
        max_accuracy_drop=max_accuracy_drop,
        threads=threads,
        int8=int8,
        stages=stages,
        progress=say,
    )
    for s in report["stages"]:
        mark = "*" if s["name"] == report["kept"] else " "
        typer.echo(
            f"{mark} {s['name']:<18} {s['model_mb']:>9.2f} MB  b1 {s['b1_ms']:>8.2f} ms  "
            f"b32 {s['b32_ms']:>7.2f} ms  {s['status']}"
            + (f" ({s['reason']})" if s["reason"] else "")
        )
    for name, rep in report.get("stage_reports", {}).items():
        if "params_after" in rep:
            typer.echo(f"  {name}: {rep['params_before']:,} -> {rep['params_after']:,} parameters")
        tw = rep.get("teacher_weights", {}).get("intent")
        if tw:
            typer.echo(
                f"  teacher weights ({tw['source']}): {tw['weights']}; dev log-loss weighted "
                f"{tw['weighted'].get('nll')} vs uniform {tw['uniform'].get('nll')}"
            )
    typer.echo(
        f"kept {report['kept']}: {report['speedup_b1_vs_torch']}x faster at batch 1, "
        f"{report['size_ratio_vs_torch']}x smaller than the torch model; written to {out} "
        f"(report: {out / 'report.md'})"
    )

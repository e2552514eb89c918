"""``aimass learn``: learn a re-ranking policy from stored feedback, promote it only if better."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from aimass.cli.common import artifact_path, handle_errors, setup_logging


def register(app: typer.Typer) -> None:
    app.command("learn")(learn)


@handle_errors
def learn(
    model: Path = typer.Argument(..., help="Trained artifact or bot project folder."),
    feedback: str | None = typer.Option(
        None,
        "--feedback",
        "-f",
        help="The service database (SQLite path or URL) or a .jsonl export of logged turns.",
    ),
    add_intents: bool = typer.Option(
        False,
        "--add-intents",
        help="Add intents (or examples) to the model by incremental training, not from scratch.",
    ),
    examples: Path | None = typer.Option(
        None,
        "--examples",
        help="With --add-intents: JSONL of {text, label} rows to add (default: the project's "
        "intents the model does not know yet).",
    ),
    data_from: Path | None = typer.Option(
        None,
        "--data",
        help="With --add-intents: the project or intent JSONL the model learned from, "
        "replayed so it does not forget (default: MODEL when it is a project).",
    ),
    dev: Path | None = typer.Option(
        None,
        "--dev",
        help="With --add-intents: labelled dev JSONL to calibrate and judge on "
        "(default: a few examples of each intent held out).",
    ),
    max_drop: float = typer.Option(
        1.0, "--max-drop", help="With --add-intents: most points the old intents may lose."
    ),
    train_layers: int = typer.Option(
        0,
        "--train-layers",
        help="With --add-intents: encoder layers to train too (0: the head only, every "
        "other task stays exactly as it was).",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="With --add-intents: write the updated model here, not in place."
    ),
    policy: Path | None = typer.Option(
        None, "--policy", help="Policy file (default: bandit-policy.json beside the artifact)."
    ),
    holdout: float = typer.Option(
        0.5, "--holdout", help="Newest share of the feedback kept to evaluate on."
    ),
    estimator: str = typer.Option("dr", "--estimator", help="ips, snips or dr."),
    margin: float = typer.Option(
        0.0, "--margin", help="Required gain of the lower bound over the current value."
    ),
    min_turns: int = typer.Option(50, "--min-turns", help="Fewer evaluation turns: no promotion."),
    method: str = typer.Option("ucb", "--method", help="ucb (LinUCB) or ts (Thompson)."),
    explore_floor: float = typer.Option(0.05, "--explore-floor"),
    explore_ceiling: float = typer.Option(0.3, "--explore-ceiling"),
    seed: int = typer.Option(0, "--seed"),
    queue: int = typer.Option(
        0,
        "--queue",
        help="Also add the N most uncertain unlabelled turns to the labelling queue (database).",
    ),
    queue_min_score: float = typer.Option(
        0.5, "--queue-min-score", help="Queue only turns at least this uncertain (0-1)."
    ),
    export_labels: Path | None = typer.Option(
        None,
        "--export-labels",
        help="Also write agents' labels (database) as intent / FAQ-query JSONL in this folder.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Evaluate, write nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Pull feedback, train an FAQ re-ranking bandit, evaluate it off-policy, promote if better.

    Trains on the older feedback (thumbs, resolved, hand-offs, agents' corrections and
    labelling-queue labels), estimates on the newest (--holdout) how the new policy would have
    done against the current one (IPS/SNIPS/doubly robust, bootstrap 95% interval), and writes
    the policy beside the artifact only when its lower bound beats the current value.

    With a database, --queue feeds the labelling queue with the turns the assistant is least
    sure about (close top intents or FAQs, retrieval legs or the learned policy disagreeing)
    and --export-labels writes agents' labels as training-data JSONL for review.

    With --add-intents, a new intent (about 20 examples) joins the trained model in minutes:
    the intent head grows, trains on the new examples plus a replay of the old intents with
    distillation from the current model, is recalibrated, and replaces the current model only
    when the old intents lose at most --max-drop points on dev. Add the intent to the project
    and run `aimass learn PROJECT --add-intents`, or give the rows with --examples (e.g. the
    labels written by --export-labels).

    A promoted policy is used at once by every door (`aimass chat`, a running `aimass serve`
    re-reads the file when it changes): it chooses which FAQ a confident FAQ answer shows.
    The service lets it explore within its caps (--explore-floor/--explore-ceiling; set
    AIMASS_EXPLORE=0 to always show its best) and stores each choice's propensity, which the
    next cycle's off-policy evaluation divides by.
    """
    setup_logging(verbose)
    if add_intents:
        _add_intents(
            model, examples, data_from, dev, out, max_drop, train_layers, seed, dry_run, as_json
        )
        if feedback is None:
            return
    elif examples or data_from or dev or out:
        from aimass.errors import TrainingError

        raise TrainingError(
            "--examples, --data, --dev and --out belong to --add-intents",
            code="AM588",
            hint="add --add-intents, or drop them",
        )
    if feedback is None:
        from aimass.errors import TrainingError

        raise TrainingError(
            "nothing to learn from: give --feedback, or --add-intents",
            code="AM588",
            hint="aimass learn MODEL --feedback DB, or aimass learn PROJECT --add-intents",
        )
    from aimass.errors import TrainingError
    from aimass.learning.cycle import POLICY_FILE, learn_cycle
    from aimass.learning.feedback import read_feedback

    if policy is None:
        art = artifact_path(model)
        if not art.is_dir():
            raise TrainingError(
                f"no trained artifact at {model}",
                code="AM594",
                hint="train first (aimass train), or give --policy PATH",
            )
        policy = art / POLICY_FILE
    if not (0.0 < holdout < 1.0):
        raise TrainingError(f"--holdout must lie in (0, 1), got {holdout}", code="AM580")
    is_db = not feedback.endswith(".jsonl")
    if (queue or export_labels) and not is_db:
        raise TrainingError(
            "--queue and --export-labels need the service database, not a JSONL export",
            code="AM593",
            hint="pass the database URL or SQLite path with --feedback",
        )
    data = read_feedback(feedback)  # checks the source exists before anything writes to it
    extra_done = _queue_and_labels(
        feedback, policy, queue, queue_min_score, export_labels, dry_run, as_json
    )
    if not data.turns and extra_done:
        typer.echo("bandit: no stored turn with a reward yet; nothing to learn or promote")
        return
    if not data.turns:
        raise TrainingError(
            "no usable feedback: no stored turn that showed an FAQ has a reward",
            code="AM585",
            hint=f"skipped: {json.dumps(data.skipped)}" if data.skipped else None,
        )
    report = learn_cycle(
        data,
        policy,
        holdout=holdout,
        estimator=estimator,
        margin=margin,
        min_turns=min_turns,
        method=method,
        explore_floor=explore_floor,
        explore_ceiling=explore_ceiling,
        seed=seed,
        dry_run=dry_run,
    )
    if as_json:
        typer.echo(json.dumps(report, indent=1, ensure_ascii=False))
        return
    fb = report["feedback"]
    typer.echo(
        f"feedback: {fb['turns']} turns with a reward ({fb['assumed_propensity']} without a "
        f"recorded propensity), {fb['labelled']} corrections; trained on "
        f"{report['train_turns']} + {report['train_labels']} labels, evaluated on "
        f"{report['evaluation_turns']}"
    )
    gate = report.get("gate")
    if gate:
        c, cur = gate["candidate"], gate["current"]
        typer.echo(
            f"candidate {c['value']:.3f} [{c['low']:.3f}, {c['high']:.3f}] vs current "
            f"({report['current']}) {cur['value']:.3f} ({gate['candidate']['estimator']})"
        )
    verdict = "promoted ->" if report["promoted"] else "not promoted:"
    typer.echo(f"{verdict} {report['policy'] if report['promoted'] else report['reason']}")


def _add_intents(
    model: Path,
    examples: Path | None,
    data: Path | None,
    dev: Path | None,
    out: Path | None,
    max_drop: float,
    train_layers: int,
    seed: int,
    dry_run: bool,
    as_json: bool,
) -> None:
    from aimass.errors import TrainingError
    from aimass.evaluation.benchdata import read_intent
    from aimass.model.artifact import read_artifact
    from aimass.training.data import IntentData
    from aimass.training.incremental import IncrementalConfig, intent_sources, update_artifact

    art = artifact_path(model)
    if not (art / "aimass-artifact.json").is_file():
        raise TrainingError(
            f"no trained artifact at {model}",
            code="AM594",
            hint="train first (aimass train); incremental training extends a trained model",
        )
    if train_layers < 0 or max_drop < 0:
        raise TrainingError("--train-layers and --max-drop cannot be negative", code="AM580")
    known = list(read_artifact(art).labels.get("intents", []))
    new, rehearsal, project = intent_sources(model, data, examples, known)
    dev_data = None
    if dev is not None:
        rows = read_intent(dev)
        dev_data = IntentData([r.text for r in rows], [r.label for r in rows])
    report = update_artifact(
        art,
        new,
        rehearsal,
        dev=dev_data,
        out=out,
        project=project,
        max_drop=max_drop,
        config=IncrementalConfig(train_layers=train_layers, seed=seed),
        dry_run=dry_run,
    )
    if as_json:
        typer.echo(json.dumps(report, indent=1, ensure_ascii=False))
        return
    names = ", ".join(report["new_intents"]) or "(none: more examples of known intents)"
    typer.echo(
        f"intents added: {names} from {report['new_examples']} examples, "
        f"{report['rehearsed']} rows trained in {report['seconds']:.0f} s"
    )
    before, after = report["old_accuracy_before"], report["old_accuracy_after"]
    if before is not None and after is not None:
        typer.echo(
            f"old intents on dev: {100 * before:.1f} -> {100 * after:.1f} "
            f"({report['old_n']} examples)"
        )
    for name, acc in report["new_accuracy"].items():
        typer.echo(f"{name} on dev: {100 * acc:.1f} ({report['new_n'][name]} examples)")
    if report["promoted"]:
        typer.echo(f"promoted -> {report['artifact']}")
    else:
        why = "dry run" if dry_run and report["promote"] else report["reason"]
        typer.echo(f"not promoted: {why}")


def _queue_and_labels(
    url: str,
    policy: Path,
    queue: int,
    min_score: float,
    export_dir: Path | None,
    dry_run: bool,
    quiet: bool,
) -> bool:
    """The active-learning steps; True when any was asked for."""
    if not queue and export_dir is None:
        return False
    from aimass.learning.active import export_labels, feed_queue
    from aimass.learning.bandit import LinearBandit

    if queue:
        current = LinearBandit.load(policy).greedy() if policy.exists() else None
        items = feed_queue(url, budget=queue, min_score=min_score, policy=current, dry_run=dry_run)
        if not quiet:
            verb = "would queue" if dry_run else "queued"
            typer.echo(f"labelling queue: {verb} {len(items)} uncertain turns")
            for it in items[:10]:
                typer.echo(
                    f"  #{it['turn_id']} {it['score']:.2f} {it['reason']}: {it['text'][:60]}"
                )
    if export_dir is not None and not dry_run:
        counts = export_labels(url, export_dir)
        if not quiet:
            typer.echo(
                f"labels: {counts['intents']} intent examples, {counts['faq_queries']} FAQ "
                f"queries -> {export_dir}"
            )
    return True

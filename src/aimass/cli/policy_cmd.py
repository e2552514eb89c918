"""``aimass policy``: check a project's policy.yaml, test expected decisions, apply a policy to a
trained model without retraining."""

from __future__ import annotations

from pathlib import Path

import typer

from aimass.cli.common import ARTIFACT_SUBDIR, artifact_path, handle_errors

app = typer.Typer(
    help="Policy-as-code: check, test and apply policy.yaml (rules on top of the model).",
    no_args_is_help=True,
)

TESTS_FILE = "policy_tests.yaml"


@app.command("check")
@handle_errors
def check(project: Path = typer.Argument(..., help="The bot project folder.")) -> None:
    """Validate policy.yaml (every problem with file, line and code) and run the rules' inline
    tests that need no model. Exit status 1 when anything is wrong."""
    from aimass.data.yamlsrc import read_yaml
    from aimass.errors import AimassError, Severity
    from aimass.policy import Policy
    from aimass.policy.config import POLICY_FILE
    from aimass.policy.load import check_tags, read_policy
    from aimass.policy.testing import inline_test_lines, run_inline_tests

    path = project / POLICY_FILE
    if not path.is_file():
        typer.echo(f"no {POLICY_FILE} in {project}: the default decision rule alone applies")
        return
    config, problems = read_policy(path)
    raw, _ = read_yaml(path, POLICY_FILE, typed=True)
    if config is not None and (project / "aimass.yaml").is_file():
        from aimass.data.project import load_project

        try:
            declared = {t.name for t in load_project(project, strict=False).profile_tags}
        except AimassError:
            declared = None  # `aimass validate` reports the project's own problems
        if declared is not None:
            problems += check_tags(config, raw, declared)
    for p in problems:
        color = typer.colors.RED if p.severity is Severity.ERROR else typer.colors.YELLOW
        typer.secho(str(p), fg=color)
    if config is None:
        raise typer.Exit(1)
    report = run_inline_tests(
        Policy(config), config, file=POLICY_FILE, raw_lines=inline_test_lines(raw)
    )
    for f in report.failures or []:
        typer.secho(f"{f} [{f.code}]", fg=typer.colors.RED)
    typer.echo(
        f"{POLICY_FILE}: {len(config.rules)} rules; inline tests: {report.passed} passed, "
        f"{len(report.failures or [])} failed, {report.skipped} need the model"
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command("test")
@handle_errors
def test(
    target: Path = typer.Argument(
        ..., help="A bot project (its policy.yaml and model) or a trained artifact (its policy)."
    ),
    tests: Path | None = typer.Argument(
        None, help=f"Expected decisions (default: PROJECT/{TESTS_FILE})."
    ),
    model: Path | None = typer.Option(
        None,
        "--model",
        "-m",
        help=f"The artifact to test with (default: PROJECT/{ARTIFACT_SUBDIR}).",
    ),
    no_model: bool = typer.Option(
        False, "--no-model", help="Test the rules alone: every message reads as out of scope."
    ),
) -> None:
    """Run a YAML file of messages with expected decisions (kind, source, decided_by, fired
    rules, redacted text) plus the rules' inline tests; list every mismatch and exit 1 if any."""
    from aimass.data.yamlsrc import read_yaml
    from aimass.policy import InMemorySessionStore, Policy
    from aimass.policy.config import POLICY_FILE, PolicyConfig
    from aimass.policy.load import load_policy_config
    from aimass.policy.testing import (
        inline_test_lines,
        model_free_responder,
        read_cases,
        run_cases,
        run_inline_tests,
    )
    from aimass.schemas import Response

    is_project = (target / "aimass.yaml").is_file()
    policy_file = target / POLICY_FILE
    raw_lines: dict[tuple[str, int], int] = {}
    config: PolicyConfig | None
    if is_project:
        config = load_policy_config(policy_file) if policy_file.is_file() else PolicyConfig()
        if policy_file.is_file():
            raw_lines = inline_test_lines(read_yaml(policy_file, POLICY_FILE, typed=True)[0])
        tests = tests or (target / TESTS_FILE if (target / TESTS_FILE).is_file() else None)
    else:
        config = None  # the artifact's own policy
    sessions = InMemorySessionStore()

    if no_model:
        if not is_project:
            raise typer.BadParameter("--no-model needs a project folder (for its replies)")
        from aimass.data.configfile import read_config
        from aimass.errors import ValidationFailed

        project_config, _, problems = read_config(target)
        if project_config is None:
            raise ValidationFailed(problems)
        policy = Policy(config, handoff_reply=project_config.replies.handoff, sessions=sessions)
        respond = model_free_responder(
            policy,
            project_config.thresholds,
            project_config.replies,
            project_config.handoff_intents,
        )
        config = policy.config
    else:
        from aimass.runtime.assistant import Assistant

        assistant = Assistant.load(artifact_path(model) if model else artifact_path(target))
        if config is not None:
            assistant.policy = Policy(config, handoff_reply=assistant.replies.handoff)
            assistant.policy.prepare(assistant.predictor.embed)
        policy = assistant.policy
        policy.sessions = sessions
        config = policy.config

        def respond(text: str, session: str | None) -> Response:
            return assistant.respond(text, session_id=session)

    report = run_inline_tests(policy, config, file=POLICY_FILE, raw_lines=raw_lines)
    n_inline = report.passed + len(report.failures or []) + report.skipped
    if tests is not None:
        cases = read_cases(tests, tests.name)
        report = report.add(run_cases(cases, respond, sessions, file=tests.name))
    for f in report.failures or []:
        typer.secho(f"FAIL {f} [{f.code}]", fg=typer.colors.RED)
    total = report.passed + len(report.failures or [])
    summary = (
        f"{total} checks ({n_inline} inline): {report.passed} passed, "
        f"{len(report.failures or [])} failed"
        + (f", {report.skipped} skipped (need the model)" if report.skipped else "")
    )
    typer.secho(summary, fg=typer.colors.GREEN if report.ok else typer.colors.RED)
    if not report.ok:
        raise typer.Exit(1)


@app.command("apply")
@handle_errors
def apply(
    project: Path = typer.Argument(..., help="The bot project whose policy.yaml to apply."),
    model: Path | None = typer.Option(
        None, "--model", "-m", help=f"The artifact to update (default: PROJECT/{ARTIFACT_SUBDIR})."
    ),
) -> None:
    """Store the project's current policy.yaml in a trained artifact, without retraining."""
    from aimass.policy.artifact import apply_policy

    dest = artifact_path(model) if model else project / ARTIFACT_SUBDIR
    stored = apply_policy(project, dest)
    if stored is None:
        typer.echo(f"{project} has no policy.yaml: {dest} now uses the default decision rule")
    else:
        typer.echo(f"policy with {len(stored.get('rules', []))} rules applied to {dest}")

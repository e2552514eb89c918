"""policy.yaml validation: every problem with its file, line and a stable code, from the
library and from ``aimass policy check``; word-list files are inlined into the policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aimass.cli.demo_cmd import demo_project
from aimass.cli.main import app
from aimass.errors import CODES, ValidationFailed
from aimass.policy.artifact import project_policy
from aimass.policy.load import load_policy_config, read_policy

runner = CliRunner()

BAD = """\
version: 1
rules:
  - id: hours
    type: pinned
    match:
      regex: ['(unclosed']
    reply: {zh: 八点}
  - id: hours
    type: blocked
    match: {}
    reply: {zh: 不行}
  - id: words
    type: sensitive
    files: [missing.txt]
  - id: typo
    type: escalate
    when: request
    queeu: vip
  - id: last
    type: confidence
  - id: after
    type: redact
"""


def codes_and_lines(text: str, tmp_path: Path) -> set[tuple[str, int | None]]:
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    config, problems = read_policy(tmp_path / "policy.yaml")
    assert config is None
    assert all(p.code in CODES and p.file == "policy.yaml" for p in problems)
    return {(p.code, p.line) for p in problems}


def test_schema_errors_name_the_line_and_suggest_the_field(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(BAD, encoding="utf-8")
    _, problems = read_policy(tmp_path / "policy.yaml")
    assert [(p.code, p.line) for p in problems] == [("AM131", 18)]  # schema errors come first
    assert "queeu" in problems[0].message and "queue" in (problems[0].hint or "")


def test_semantic_problems_are_all_listed_with_lines(tmp_path: Path) -> None:
    found = codes_and_lines(BAD.replace("    queeu: vip\n", ""), tmp_path)
    assert {
        ("AM133", 6),  # invalid regex
        ("AM132", 8),  # duplicate id
        ("AM135", 10),  # empty match
        ("AM134", 14),  # missing word file
        ("AM136", 18),  # confidence rule not last
    } <= found


def test_yaml_syntax_error_and_unknown_rule_type(tmp_path: Path) -> None:
    assert codes_and_lines("rules:\n  - id: x\n    type: [oops\n", tmp_path) == {("AM130", 4)}
    assert codes_and_lines("rules:\n  - id: x\n    type: magic\n", tmp_path) == {("AM131", 2)}


def test_word_files_are_inlined_so_the_artifact_is_self_contained(tmp_path: Path) -> None:
    (tmp_path / "words.txt").write_text("# comment\n废物\n\nidiot\n", encoding="utf-8")
    (tmp_path / "aimass.yaml").write_text("name: bot\n", encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(
        "rules:\n  - id: w\n    type: sensitive\n    files: [words.txt]\n    reply: {zh: 不}\n",
        encoding="utf-8",
    )
    stored = project_policy(tmp_path)
    assert stored is not None
    rule = stored["rules"][0]
    assert rule["files"] == [] and rule["words"] == {"file:words.txt": ["废物", "idiot"]}
    assert project_policy(tmp_path / "nowhere") is None


def test_load_raises_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(BAD.replace("    queeu: vip\n", ""), encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        load_policy_config(tmp_path / "policy.yaml")
    assert len(err.value.problems) >= 5 and "policy check" in (err.value.hint or "")


def test_cli_check_lists_problems_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(BAD.replace("    queeu: vip\n", ""), encoding="utf-8")
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "policy.yaml:6: error AM133" in result.output
    assert "policy.yaml:14: error AM134" in result.output
    assert "Traceback" not in result.output


def test_cli_check_runs_inline_tests(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(
        "rules:\n"
        "  - id: hours\n    type: pinned\n    match: {keywords: [几点]}\n    reply: {zh: 八点}\n"
        "    tests:\n      - text: 客服几点上班\n      - text: 我想退货\n        fires: true\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "policy.yaml:8: '我想退货': rule hours should fire but did not" in result.output
    assert "1 passed, 1 failed" in result.output


def test_demo_policy_checks_clean() -> None:
    result = runner.invoke(app, ["policy", "check", str(demo_project())])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_check_warns_about_an_undeclared_tag_without_failing(tmp_path: Path) -> None:
    import shutil

    bot = tmp_path / "bot"
    shutil.copytree(demo_project(), bot, ignore=shutil.ignore_patterns(".aimass"))
    policy = bot / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("tags: [vip]\n", "tags: [VIP_member]\n", 1), encoding="utf-8")
    result = runner.invoke(app, ["policy", "check", str(bot)])
    assert result.exit_code == 0, result.output
    assert "warning AM137" in result.output and "VIP_member" in result.output

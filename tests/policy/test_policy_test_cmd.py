"""``aimass policy test`` without a model: the demo bot's expected decisions hold for the rules
alone, and a wrong expectation makes the command fail and name the case, its line and what
differed (every mismatch, not only the first)."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from aimass.cli.demo_cmd import demo_project
from aimass.cli.main import app

runner = CliRunner()


def test_demo_policy_tests_pass_on_the_rules_alone() -> None:
    result = runner.invoke(app, ["policy", "test", str(demo_project()), "--no-model"])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_wrong_expectations_fail_with_their_lines(tmp_path: Path) -> None:
    bot = tmp_path / "bot"
    shutil.copytree(demo_project(), bot, ignore=shutil.ignore_patterns(".aimass"))
    tests = bot / "policy_tests.yaml"
    text = tests.read_text(encoding="utf-8")
    text = text.replace(
        'expect: {kind: handoff, source: "handoff:agents", decided_by: ask-for-human}',
        'expect: {kind: answer, source: "handoff:agents", decided_by: ask-for-human}',
        1,
    )
    text = text.replace('expect: {redacted: "电话[MOBILE]"}', 'expect: {redacted: "电话"}', 1)
    tests.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    handoff_line = next(i for i, ln in enumerate(lines, 1) if "- text: 我要转人工" in ln)
    phone_line = next(i for i, ln in enumerate(lines, 1) if "- text: 电话１３８" in ln)

    result = runner.invoke(app, ["policy", "test", str(bot), "--no-model"])
    assert result.exit_code == 1
    out = result.output
    assert f"policy_tests.yaml:{handoff_line}: '我要转人工': kind: expected answer" in out
    assert "(got handoff from handoff:agents by ask-for-human)" in out
    assert f"policy_tests.yaml:{phone_line}: '电话１３８１２３４５６７８': redacted" in out
    assert "[AM141]" in out and " 2 failed" in out


def test_invalid_tests_file_is_a_coded_error(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("tests:\n  - text: hi\n    expect: {kind: shout}\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "test", str(demo_project()), str(bad), "--no-model"])
    assert result.exit_code == 1
    assert "AM140" in result.output and "t.yaml:3" in result.output
    assert "Traceback" not in result.output

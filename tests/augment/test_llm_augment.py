"""The ``llm`` augmenter: rewrites from a generative model behind an OpenAI-compatible API go
through the same label filter as every other augmenter's, in the example's language, and an
endpoint that fails costs at most the examples it failed on -- or stops the run before
anything is written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aimass.augment.generative import parse_rewrites, rewrite_prompt
from aimass.cli.main import app
from chatkit import scripted_app, smollm2_app
from modelkit import INTENT_ROWS
from serverkit import InThreadServer

runner = CliRunner()


def _message(body: dict[str, Any]) -> str:
    """The example a rewrite request is about (the prompt's last line)."""
    return str(body["messages"][-1]["content"]).splitlines()[-1]


def _augment(
    project: Path, model: Path, out: Path, *extra: str, intents: str = "all", report: bool = True
) -> Any:
    """``aimass augment`` at threshold 0; ``report``: the full report as JSON on stdout."""
    args = ["augment", str(project), "-m", str(model), "-o", str(out), "--intents", intents]
    return runner.invoke(app, [*args, "--threshold", "0", *(["--json"] if report else []), *extra])


def test_replies_become_one_rewrite_per_line() -> None:
    reply = (
        "<think>The user wants rewrites.</think>\n"
        "Here are three rewrites:\n"
        '1. "Where has my parcel got to?"\n'
        "2) Rewrite 2: my package hasn't arrived yet\n"
        "- where is my parcel\n"
        "\n"
        "4. one too many"
    )
    assert parse_rewrites(reply, "where is my parcel", 3) == [
        "Where has my parcel got to?",
        "my package hasn't arrived yet",
        "where is my parcel",  # a copy stays: the filter rejects it and counts it
    ]
    assert parse_rewrites("1、我的快递到哪了？\n2、「物流一直没更新」", "快递到哪了", 5) == [
        "我的快递到哪了？",
        "物流一直没更新",
    ]
    assert parse_rewrites("x" * 500, "short", 3) == []  # a runaway line is not a rewrite


def test_the_prompt_speaks_the_examples_language() -> None:
    zh = rewrite_prompt("我的快递到哪了", "track_order", ["物流怎么一直不更新"], 3)
    en = rewrite_prompt("where is my parcel", "track_order", ["track my order please"], 3)
    assert "改写" in zh[0]["content"] and "物流怎么一直不更新" in zh[1]["content"]
    assert zh[1]["content"].endswith("我的快递到哪了")
    assert "rewrite" in en[0]["content"] and "track order" in en[1]["content"]
    assert en[1]["content"].endswith("where is my parcel")


@pytest.fixture(scope="module")
def smollm2() -> Iterator[str]:
    with InThreadServer(smollm2_app("smollm2")) as server:
        yield server.url + "/v1"


@pytest.mark.slow
def test_a_real_generative_model_rewrites_through_the_label_filter(
    trained: tuple[Path, Path], smollm2: str, tmp_path: Path
) -> None:
    project, model = trained
    out = tmp_path / "llm.jsonl"
    result = _augment(
        project,
        model,
        out,
        *("--augmenters", "llm", "--generator-url", smollm2, "--generator-model", "smollm2"),
        intents="track_order",  # two English and two Chinese examples: ~3 s a request
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["augmenter_stats"]["llm"]["asked"] == 4
    assert report["augmenter_stats"]["llm"]["failed"] == 0
    assert report["augmenter_stats"]["llm"]["endpoint"]["model"] == "smollm2"
    judged = report["by_augmenter"]["llm"]
    assert judged["candidates"] > 0 and report["candidates"] == judged["candidates"]
    assert report["rejected"] == sum(report["by_reason"].values())
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == report["selected"] == judged["selected"]
    originals = {t for t, _ in INTENT_ROWS}
    for row in rows:
        assert row["augmenter"] == "llm" and row["text"] != row["source"]
        assert row["text"] not in originals  # copies of training data never pass
        assert row["intent"] == "track_order"


def _rewriter(fail_when: str) -> Any:
    def answer(body: dict[str, Any], headers: dict[str, str]) -> Any:
        text = _message(body)
        if re.search(fail_when, text):
            return (500, "the model crashed")
        return f"1. {text} please\n2. hi, {text}\n3. {text}?"

    return answer


def test_an_example_the_endpoint_fails_on_loses_only_its_own_rewrites(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    project, model = trained
    endpoint, seen = scripted_app(_rewriter("parcel"))
    out = tmp_path / "partial.jsonl"
    with InThreadServer(endpoint) as server:
        result = _augment(
            project,
            model,
            out,
            *("--augmenters", "llm", "--generator-url", server.url + "/v1"),
            *("--generator-model", "m", "--per-example", "3"),
        )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["augmenter_stats"]["llm"]["failed"] == 1
    assert len(seen) == len(INTENT_ROWS) + 1 + 2  # the failing example was tried 3 times
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    sources = {r["source"] for r in rows}
    assert "where is my parcel" not in sources and len(sources) > 1
    assert all(r["augmenter"] == "llm" for r in rows)
    # the Chinese examples were asked in Chinese
    assert any("改写" in b["messages"][0]["content"] for b in seen)
    # without --json, the summary says how the endpoint did
    with InThreadServer(endpoint) as server:
        human = _augment(
            project,
            model,
            tmp_path / "p.yaml",
            *("--augmenters", "llm", "--generator-url", server.url + "/v1"),
            *("--generator-model", "m"),
            report=False,
        )
    assert (
        human.exit_code == 0
        and f"llm: {len(INTENT_ROWS) + 1} examples sent to m at" in human.stdout
    )
    assert "1 failed" in human.stdout


def test_an_endpoint_failing_on_most_examples_stops_the_run_and_writes_nothing(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    project, model = trained
    endpoint, _ = scripted_app(_rewriter("."))
    out = tmp_path / "none.jsonl"
    with InThreadServer(endpoint) as server:
        result = _augment(
            project,
            model,
            out,
            *("--generator-url", server.url + "/v1", "--generator-model", "m"),
        )
    assert result.exit_code == 1 and "AM554" in result.output
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (["--augmenters", "llm"], "AM550"),  # no endpoint named
        (["--augmenters", "llm", "--generator-url", "localhost:8000"], "AM550"),
        (["--generator-url", "http://127.0.0.1:9/v1", "--generator-model", "m"], "AM551"),
        (
            [
                "--generator-url",
                "http://h/v1",
                "--generator-model",
                "m",
                "--generator-concurrency",
                "0",
            ],
            "AM550",
        ),
    ],
)
def test_a_missing_or_unreachable_endpoint_is_a_coded_error(
    trained: tuple[Path, Path], tmp_path: Path, extra: list[str], code: str
) -> None:
    project, model = trained
    out = tmp_path / "x.jsonl"
    result = _augment(project, model, out, *extra)
    assert result.exit_code == 1 and code in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()


def test_a_generator_joins_the_default_augmenters(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    project, model = trained
    endpoint, _ = scripted_app(_rewriter("$^"))
    out = tmp_path / "mixed.jsonl"
    with InThreadServer(endpoint) as server:
        result = _augment(
            project, model, out, "--generator-url", server.url + "/v1", "--generator-model", "m"
        )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "llm" in report["augmenters"] and "synonym" in report["augmenters"]
    assert report["by_augmenter"]["llm"]["candidates"] > 0

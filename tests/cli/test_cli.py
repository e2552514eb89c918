"""The command line end to end on small data: coded errors instead of tracebacks, validate's
exit status, training a project, ask --json, eval's report, and the bench JSON keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aimass.cli.main import app
from modelkit import INTENT_ROWS

runner = CliRunner()

TRAIN_SETS = [
    "--set",
    "epochs=30",
    "--set",
    "batch_size=4",
    "--set",
    "lr=0.003",
    "--set",
    "head_lr=0.01",
    "--set",
    'precision="fp32"',
    "--set",
    "trim_vocab=false",
    "--set",
    "threads=1",
    "--set",
    "warmup_ratio=0",
    "--set",
    "dropout=0",
    "--set",
    "patience=100",
]


def test_init_then_validate_is_clean(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "bot"), "--language", "both"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["validate", str(tmp_path / "bot")])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_validate_reports_file_line_and_code_and_exits_1(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path / "bot"), "--language", "en"])
    intents = tmp_path / "bot" / "data" / "intents.yaml"
    data = yaml.safe_load(intents.read_text(encoding="utf-8"))
    data["intents"].append({"name": "empty_one", "examples": []})
    intents.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(tmp_path / "bot"), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)
    empty = [p for p in problems if p["code"] == "AM105"]
    assert empty and empty[0]["file"].endswith("intents.yaml") and empty[0]["line"]


def test_missing_project_is_a_coded_error_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", str(tmp_path / "nothing-here")])
    assert result.exit_code == 1
    assert "AM100" in result.output
    assert "Traceback" not in result.output


def test_gbk_file_is_refused_with_its_path(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path / "bot"), "--language", "zh"])
    intents = tmp_path / "bot" / "data" / "intents.yaml"
    intents.write_bytes(intents.read_text(encoding="utf-8").encode("gbk"))
    result = runner.invoke(app, ["validate", str(tmp_path / "bot")])
    assert result.exit_code == 1
    assert "AM101" in result.output and "intents.yaml" in result.output


def test_import_rasa_then_validate(tmp_path: Path) -> None:
    src = tmp_path / "nlu.yml"
    src.write_text(
        'version: "3.1"\nnlu:\n'
        "- intent: greet\n  examples: |\n    - hi\n    - hello\n    - 你好\n    - hey there\n    - 您好\n"
        "- intent: track\n  examples: |\n    - where is my [order](thing)\n    - 我的快递呢\n"
        "    - track my parcel\n    - 物流到哪了\n    - is my package coming\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(src), "-o", str(tmp_path / "bot")])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(tmp_path / "bot")]).exit_code == 0


@pytest.fixture(scope="module")
def bench_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    rows = [{"text": t, "label": lab} for t, lab in INTENT_ROWS]
    for name in ("train", "dev", "test"):
        (root / f"{name}.jsonl").write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
        )
    return root


def test_bench_intent_prints_the_product_keys(
    bench_files: Path, tiny_backbones: Callable[[str], Path], tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    args = [
        "bench",
        "intent",
        "--train",
        str(bench_files / "train.jsonl"),
        "--dev",
        str(bench_files / "dev.jsonl"),
        "--test",
        str(bench_files / "test.jsonl"),
        "--out",
        str(out),
        "--model-out",
        str(tmp_path / "model"),
        "--set",
        f'backbone="{tiny_backbones("bert")}"',
        *TRAIN_SETS,
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())
    for key in (
        "accuracy",
        "macro_f1",
        "in_scope_accuracy",
        "oos_recall",
        "oos_precision",
        "ece",
        "n",
        "train_seconds",
        "model_mb",
        "latency_ms_p50",
    ):
        assert key in metrics
    assert metrics["n"] == len(INTENT_ROWS)
    assert metrics["accuracy"] == pytest.approx(1.0)  # the tiny model overfits its training data

    # ask --json and eval work on the artifact bench kept
    ask = runner.invoke(app, ["ask", "我想退货怎么办", "-m", str(tmp_path / "model"), "--json"])
    assert ask.exit_code == 0, ask.output
    assert json.loads(ask.output)["intents"][0]["name"] == "return_item"
    report = tmp_path / "report"
    ev = runner.invoke(
        app,
        [
            "eval",
            str(tmp_path / "model"),
            "--data",
            str(bench_files / "test.jsonl"),
            "-o",
            str(report),
        ],
    )
    assert ev.exit_code == 0, ev.output
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "Confusion matrix" in html and "data:image/png;base64," in html
    assert json.loads((report / "metrics.json").read_text())["accuracy"] == pytest.approx(1.0)


def test_bench_bad_set_is_a_coded_error(bench_files: Path) -> None:
    args = [
        "bench",
        "intent",
        "--train",
        str(bench_files / "train.jsonl"),
        "--dev",
        str(bench_files / "dev.jsonl"),
        "--test",
        str(bench_files / "test.jsonl"),
        "--set",
        "epocs=3",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "AM500" in result.output and "epocs" in result.output


FAQ_BANK_EN = [
    ("refund", "how do I get a refund", "Refunds reach your card within 5 working days."),
    ("ship", "when will my order ship", "Orders leave the warehouse within 24 hours."),
    ("password", "how do I reset my password", "Use the forgot-password link on the sign-in page."),
    ("invoice", "can I get an invoice", "Invoices are under Orders, then Download PDF."),
    ("cancel", "how do I cancel my order", "Open the order and press Cancel before it ships."),
]
FAQ_QUERIES = [
    ("I want my money back", "refund"),
    ("has my package left yet", "ship"),
    ("forgot my login password", "password"),
    ("where do I download a PDF receipt", "invoice"),
    ("stop my order before it is sent", "cancel"),
]


def test_bench_faq_fits_and_stores_what_it_serves(
    tmp_path: Path, tiny_backbones: Callable[[str], Path]
) -> None:
    bank = tmp_path / "faq.jsonl"
    bank.write_text(
        "\n".join(json.dumps({"id": i, "question": q, "answer": a}) for i, q, a in FAQ_BANK_EN),
        encoding="utf-8",
    )
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        "\n".join(json.dumps({"text": t, "faq_id": f}) for t, f in FAQ_QUERIES), encoding="utf-8"
    )
    out, model = tmp_path / "r.json", tmp_path / "model"
    args = ["bench", "faq", "--faq", str(bank), "--dev", str(queries), "--test", str(queries)]
    args += ["--out", str(out), "--model-out", str(model)]
    args += ["--set", f'backbone="{tiny_backbones("bert")}"', *TRAIN_SETS]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())
    for key in ("p_at_1", "mrr", "recall_at_5", "n", "train_seconds", "latency_ms_p50"):
        assert key in metrics
    assert {"dense", "lexical"} <= set(metrics["legs"])
    # an English bank tries MiniLM in the dense leg; what dev chose is what the artifact serves
    assert any(k.startswith("minilm") for k in metrics["fusion_dev_mrr"])
    cal = json.loads((model / "calibration.json").read_text(encoding="utf-8"))
    assert cal["faq_fusion"] == metrics["fusion"]
    assert cal["faq_dense_mix"] == metrics["dense_mix"]
    if metrics["dense_mix"]["weight"] > 0:
        assert {"dense_model", "dense_minilm"} <= set(metrics["legs"])
        # the confidence map reads the mixed cosine now, so it was refitted for it
        assert {"w_score", "w_margin", "bias"} <= set(cal["faq_confidence"])
    ask = runner.invoke(app, ["ask", "I want my money back", "-m", str(model), "--json"])
    assert ask.exit_code == 0, ask.output
    assert json.loads(ask.output)["faqs"]

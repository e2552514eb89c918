"""``aimass augment``: writes reviewable augmented examples in the project's intents format,
with the augmenter and the model's confidence beside each, and never touches project files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aimass.cli.main import app
from aimass.config import ProjectConfig
from aimass.data import ProjectContent, write_project
from aimass.data.readers.intents import read_intents
from aimass.schemas.project import Example, Intent
from modelkit import INTENT_ROWS

runner = CliRunner()


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_augment_writes_a_reviewable_intents_file_and_leaves_the_project_alone(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    project, model = trained
    before = _hashes(project)
    out = tmp_path / "augmented.yaml"
    args = ["augment", str(project), "--model", str(model), "--out", str(out), "--intents", "all"]
    result = runner.invoke(app, [*args, "--threshold", "0.2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert _hashes(project) == before
    assert report["selected"] > 0 and report["candidates"] >= report["selected"]
    assert report["rejected"] == sum(report["by_reason"].values())
    intents, problems = read_intents(out, out.parent)  # the project's own reader takes it
    assert not [p for p in problems if p.severity.value == "error"]
    written = [(e.text, i.name) for i in intents for e in i.examples]
    assert len(written) == report["selected"]
    assert {n for _, n in written} <= {"return_item", "track_order", "payment"}
    originals = {t for t, _ in INTENT_ROWS}
    assert not originals & {t for t, _ in written}
    text = out.read_text(encoding="utf-8")
    assert "# " in text and "p=" in text and "from " in text  # augmenter, source, confidence
    # JSON Lines carry the same as fields; same seed, same examples
    out2 = tmp_path / "augmented.jsonl"
    args2 = ["augment", str(project), "-m", str(model), "-o", str(out2), "--intents", "all"]
    assert runner.invoke(app, [*args2, "--threshold", "0.2"]).exit_code == 0
    rows = [json.loads(line) for line in out2.read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["intent"]) for r in rows] == written
    assert all(r["augmenter"] and r["source"] and r["confidence"] >= 0.2 for r in rows)


def test_the_augmenters_built_from_the_model_run_from_the_command_line(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    project, model = trained
    out = tmp_path / "neighbour.jsonl"
    args = ["augment", str(project), "-m", str(model), "-o", str(out), "--intents", "all"]
    result = runner.invoke(
        app, [*args, "--augmenters", "neighbour,synonym", "--threshold", "0", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["augmenters"] == ["neighbour", "synonym"] and out.exists()


def test_worst_intents_by_cross_validation_when_there_is_no_dev_set(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    project, model = trained
    out = tmp_path / "worst.yaml"
    args = ["augment", str(project), "-m", str(model), "-o", str(out), "--intents", "worst:1"]
    result = runner.invoke(app, [*args, "--threshold", "0", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert len(report["intents"]) == 1 and report["scored_on"].startswith("cross-validation")


@pytest.mark.parametrize(
    ("out", "extra", "code"),
    [
        ("PROJECT/aimass.yaml", [], "AM542"),  # never overwrite a project file
        ("PROJECT/data/intents.yaml", [], "AM542"),
        ("notes.txt", [], "AM545"),
        ("new.yaml", ["--augmenters", "synonym,backtranslate"], "AM540"),
        ("new.yaml", ["--intents", "refund_status"], "AM543"),
        ("new.yaml", ["--per-example", "0"], "AM541"),
    ],
)
def test_bad_input_is_a_coded_error(
    trained: tuple[Path, Path], tmp_path: Path, out: str, extra: list[str], code: str
) -> None:
    project, model = trained
    before = _hashes(project)
    target = out.replace("PROJECT", str(project)) if "PROJECT" in out else str(tmp_path / out)
    result = runner.invoke(
        app, ["augment", str(project), "-m", str(model), "-o", target, "--intents", "all", *extra]
    )
    assert result.exit_code == 1
    assert code in result.output and "Traceback" not in result.output
    assert _hashes(project) == before


def test_existing_output_needs_force(trained: tuple[Path, Path], tmp_path: Path) -> None:
    project, model = trained
    out = tmp_path / "taken.yaml"
    out.write_text("keep me\n", encoding="utf-8")
    args = ["augment", str(project), "-m", str(model), "-o", str(out), "--intents", "payment"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "AM542" in refused.output
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert runner.invoke(app, [*args, "--force", "--threshold", "0"]).exit_code == 0
    assert "intents:" in out.read_text(encoding="utf-8")


def test_worst_intents_from_a_dev_file(trained: tuple[Path, Path], tmp_path: Path) -> None:
    project, model = trained
    dev = tmp_path / "dev.jsonl"
    rows = [{"text": t, "label": n} for t, n in INTENT_ROWS]
    dev.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "worst.jsonl"
    args = ["augment", str(project), "-m", str(model), "-o", str(out), "--dev", str(dev)]
    result = runner.invoke(app, [*args, "--intents", "worst:2", "--threshold", "0", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["scored_on"] == f"dev: {dev}" and len(report["intents"]) == 2
    assert set(report["intent_scores"]) == set(report["intents"])


def test_a_model_of_another_project_is_refused(trained: tuple[Path, Path], tmp_path: Path) -> None:
    _, model = trained
    content = ProjectContent(
        intents=[
            Intent(name="greet", examples=[Example(text="hello"), Example(text="hi there")]),
            Intent(name="bye", examples=[Example(text="goodbye"), Example(text="see you")]),
        ]
    )
    config = ProjectConfig(name="other", languages=["en"], min_examples_per_intent=2)
    other = write_project(tmp_path / "other", content, config=config)
    out = tmp_path / "o.yaml"
    result = runner.invoke(app, ["augment", str(other), "-m", str(model), "-o", str(out)])
    assert result.exit_code == 1 and "AM544" in result.output and not out.exists()


def test_the_written_file_is_a_transfer_set_for_distillation(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    """What measured best on BANKING77 is to distil on the rewrites (soft labels), not to add
    them as examples: `aimass compress --unlabelled FILE` reads either output format."""
    from aimass.compress.student import read_texts

    project, model = trained
    texts = {}
    for name in ("aug.yaml", "aug.jsonl"):
        out = tmp_path / name
        args = ["augment", str(project), "-m", str(model), "-o", str(out), "--intents", "all"]
        assert runner.invoke(app, [*args, "--threshold", "0"]).exit_code == 0
        texts[name] = read_texts(out)
    assert texts["aug.yaml"] and sorted(texts["aug.yaml"]) == sorted(texts["aug.jsonl"])
    assert not any(t.startswith(("intents:", "- intent", "#")) for t in texts["aug.yaml"])
    # the README's command: the model distilled into itself on the reviewed rewrites
    labelled = tmp_path / "train.jsonl"
    rows = [json.dumps({"text": t, "label": n}, ensure_ascii=False) for t, n in INTENT_ROWS]
    labelled.write_text("\n".join(rows), encoding="utf-8")
    out = tmp_path / "self-distilled"
    result = runner.invoke(
        app,
        ["compress", str(model), "--out", str(out), "--train", str(labelled), "--dev",
         str(labelled), "--layers", "2", "--teachers", "lexical", "--unlabelled",
         str(tmp_path / "aug.yaml"), "--no-int8", "--threads", "1", "--distill-epochs", "1",
         "--max-accuracy-drop", "100"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (stage,) = report["stage_reports"].values()
    assert stage["transfer_texts"] >= len(set(texts["aug.yaml"]))


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, "AM104"), ("退货".encode("gbk"), "AM101"), (b"\n  \n", "AM533")],
)
def test_an_unusable_transfer_file_is_a_coded_error(
    tmp_path: Path, content: bytes | None, code: str
) -> None:
    from aimass.compress.student import read_texts
    from aimass.errors import AimassError

    path = tmp_path / "transfer.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AimassError) as caught:
        read_texts(path)
    assert caught.value.code == code and caught.value.hint

"""Format detection, and import -> write -> load keeping intents, examples and entity spans."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from datafixtures import write
from importfixtures import (
    make_clu,
    make_dialogflow,
    make_dialogflow_zip,
    make_luis,
    make_paddlenlp,
    make_paddlenlp_multilabel,
    make_rasa,
    make_rasa_json,
    make_rasa_md,
)

import aimass.data
from aimass.data import detect_format, import_any, load_project
from aimass.data.content import ProjectContent
from aimass.errors import ImportFormatError

SOURCES: list[tuple[Callable[[Path], Path], str]] = [
    (make_rasa, "rasa"),
    (make_rasa_md, "rasa"),
    (make_rasa_json, "rasa"),
    (make_luis, "luis"),
    (make_clu, "clu"),
    (make_dialogflow, "dialogflow"),
    (make_dialogflow_zip, "dialogflow"),
    (make_paddlenlp, "paddlenlp"),
    (make_paddlenlp_multilabel, "paddlenlp"),
]


def summary(content: ProjectContent) -> object:
    return (
        [
            (i.name, i.responses, [(e.text, e.entities) for e in i.examples])
            for i in content.intents
        ],
        [(f.id, f.questions, f.answer, f.answers, f.category) for f in content.faqs],
        [(s.value, s.aliases) for s in content.synonyms],
        [(t.name, t.elements) for t in content.lookups],
        [t.name for t in content.profile_tags],
        content.profile_pairs(),
    )


@pytest.mark.parametrize(("make", "expected"), SOURCES, ids=lambda v: getattr(v, "__name__", v))
def test_detect_and_round_trip(tmp_path: Path, make: Callable[[Path], Path], expected: str) -> None:
    source = make(tmp_path / "source")
    assert detect_format(source) == expected
    result = import_any(source)
    assert result.format == expected
    for intent in result.content.intents:
        for example in intent.examples:
            for span in example.entities:
                assert example.text[span.start : span.end] == span.value
    assert result.summary().startswith(f"imported from {expected}: ")
    root = result.write(tmp_path / "project")
    loaded = load_project(root, strict=False)
    if result.languages:
        assert loaded.config.languages == result.languages
    assert summary(loaded) == summary(result.content)
    assert not [p for p in loaded.problems if p.code in ("AM101", "AM102", "AM103", "AM117")]


def test_unzipped_dialogflow_agent_in_a_subfolder(tmp_path: Path) -> None:
    make_dialogflow(tmp_path / "download" / "OrderHelper")
    assert detect_format(tmp_path / "download") == "dialogflow"
    assert import_any(tmp_path / "download").name == "OrderHelper"


def test_explicit_format_and_errors(tmp_path: Path) -> None:
    luis = make_luis(tmp_path / "luis")
    assert import_any(luis, "LUIS").format == "luis"
    with pytest.raises(ImportFormatError) as caught:
        import_any(luis, "watson")
    assert caught.value.code == "AM200"
    with pytest.raises(ImportFormatError) as caught:
        import_any(tmp_path / "missing")
    assert caught.value.code == "AM200"
    unknown = write(tmp_path, "notes.json", '{"hello": "world"}')
    with pytest.raises(ImportFormatError) as caught:
        import_any(unknown)
    assert caught.value.code == "AM200" and caught.value.hint
    aimass_project = tmp_path / "bot"
    write(aimass_project, "aimass.yaml", "name: bot\n")
    with pytest.raises(ImportFormatError) as caught:
        detect_format(aimass_project)
    assert "already an AI Mass project" in caught.value.message


def test_public_api() -> None:
    assert sorted(aimass.data.__all__) == sorted(
        [
            "FORMATS",
            "MAX_TEXT_LENGTH",
            "MIN_TAG_EXAMPLES",
            "OOS",
            "BotProject",
            "ImportResult",
            "ProjectContent",
            "check_content",
            "dedup_key",
            "detect_format",
            "import_any",
            "init_project",
            "language_of",
            "load_project",
            "starter_content",
            "validate_project",
            "write_project",
        ]
    )
    assert set(aimass.data.FORMATS) == {"rasa", "luis", "clu", "dialogflow", "paddlenlp"}


def test_data_package_imports_no_heavy_modules() -> None:
    code = (
        "import sys, aimass.data, aimass.data.importers; "
        "heavy = [m for m in ('torch', 'transformers', 'bs4', 'pypdf') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_problem_code_is_registered() -> None:
    from aimass.errors import CODES

    used = set()
    for path in Path(aimass.data.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= {text[i : i + 5] for i in range(len(text) - 5) if text.startswith('"AM', i - 1)}
    used = {code for code in used if code[2:].isdigit()}
    assert used and used <= set(CODES), used - set(CODES)

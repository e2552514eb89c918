"""LUIS and CLU exports (JSON; UTF-16 offsets; LUIS endPos inclusive)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datafixtures import line_of, write
from importfixtures import CLU_PROJECT, make_clu, make_luis

from aimass.data.importers import ImportResult, import_clu, import_luis
from aimass.errors import ImportFormatError


def spans(result: ImportResult) -> list[tuple[str, str, str, str | None]]:
    found = []
    for intent in result.content.intents:
        for example in intent.examples:
            for span in example.entities:
                assert example.text[span.start : span.end] == span.value
                found.append((intent.name, span.entity, span.value, span.role))
    return found


def messages(result: ImportResult) -> dict[str, tuple[str, str | None, int | None]]:
    return {p.message: (p.code, p.file, p.line) for p in result.skipped}


def test_luis_export(tmp_path: Path) -> None:
    path = make_luis(tmp_path)
    result = import_luis(path)
    assert (result.format, result.name, result.languages, result.description) == (
        "luis",
        "TravelAgent",
        ["zh"],
        "Books flights",
    )
    assert [i.name for i in result.content.intents] == ["BookFlight", "oos"]
    assert spans(result) == [
        ("BookFlight", "Location", "paris", "destination"),
        ("BookFlight", "Location", "北京", None),
        ("BookFlight", "Location", "tokyo", None),  # after an emoji: UTF-16 offsets converted
    ]
    book = result.content.intents[0]
    assert book.examples[0].source is not None
    assert book.examples[0].source.line == line_of(path, '"text": "book a flight to paris"') - 1
    assert [e.text for e in result.content.intents[1].examples] == ["what's the weather"]
    assert {s.value: s.aliases for s in result.content.synonyms} == {
        "北京": ["beijing", "peking"],
        "Paris": ["paris", "the city of light"],
    }
    assert [(t.name, t.elements) for t in result.content.lookups] == [("City", ["北京", "Paris"])]
    notes = messages(result)
    patterns = next(m for m in notes if m.startswith("2 patterns"))
    assert notes[patterns] == ("AM202", "TravelAgent.json", line_of(path, '"patterns"'))
    assert any(m.startswith("1 prebuilt entities ('datetimeV2')") for m in notes)
    out_of_range = next(m for m in notes if "10..41" in m)
    assert notes[out_of_range][0] == "AM117"
    assert notes["intent 'Cancel' has no examples; not imported"][0] == "AM202"


def test_luis_malformed(tmp_path: Path) -> None:
    path = write(
        tmp_path, "app.json", '{\n  "luis_schema_version": "7.0.0",\n  "utterances": [\n}\n'
    )
    with pytest.raises(ImportFormatError) as caught:
        import_luis(path)
    assert caught.value.code == "AM201" and caught.value.line == 4
    other = write(tmp_path, "other.json", '{"hello": 1}')
    with pytest.raises(ImportFormatError) as caught:
        import_luis(other)
    assert caught.value.code == "AM200"


def test_clu_export(tmp_path: Path) -> None:
    path = make_clu(tmp_path)
    result = import_clu(path)
    assert (result.name, result.languages, result.description) == (
        "ShopBot",
        ["zh", "en"],
        "Shop assistant",
    )
    names = [i.name for i in result.content.intents]
    assert names == ["TrackOrder", "oos", "intent_1"]
    assert result.content.intents[2].description == "退货"
    assert spans(result) == [
        ("TrackOrder", "Product", "耳机", None),
        ("TrackOrder", "Product", "headphones", None),  # after 🎧 (two UTF-16 units)
    ]
    texts = [e.text for i in result.content.intents for e in i.examples]
    assert "track order 123" not in texts  # the Test dataset is held out
    assert {s.value: s.aliases for s in result.content.synonyms} == {
        "耳机": ["耳麦", "headphones", "earphones"]
    }
    notes = messages(result)
    assert notes["entity 'Product': prebuilts components are not imported"] == (
        "AM202",
        "ShopBot.json",
        line_of(path, '"prebuilts"'),
    )
    assert any(m.startswith("1 utterance(s) of the Test dataset") for m in notes)
    renamed = next(m for m in notes if "renamed to 'intent_1'" in m)
    assert notes[renamed][0] == "AM121"


def test_clu_orchestration_is_refused(tmp_path: Path) -> None:
    project = {**CLU_PROJECT, "assets": {"projectKind": "Orchestration", "intents": []}}
    path = write(tmp_path, "orch.json", json.dumps(project))
    with pytest.raises(ImportFormatError) as caught:
        import_clu(path)
    assert caught.value.code == "AM201"

"""Rasa 3 YAML (project folder and single file), Rasa Markdown and Rasa JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from datafixtures import line_of, write
from importfixtures import make_rasa, make_rasa_json, make_rasa_md

from aimass.data.importers import ImportResult, import_rasa
from aimass.errors import ImportFormatError, Severity


def spans_match(result: ImportResult) -> None:
    for intent in result.content.intents:
        for example in intent.examples:
            for span in example.entities:
                assert example.text[span.start : span.end] == span.value


def skipped(result: ImportResult, text: str) -> tuple[str, str | None, int | None]:
    found = [p for p in result.skipped if text in p.message]
    assert len(found) == 1, [str(p) for p in result.skipped]
    assert found[0].severity is Severity.WARNING
    return found[0].code, found[0].file, found[0].line


def test_rasa_project_folder(tmp_path: Path) -> None:
    root = make_rasa(tmp_path / "bot")
    nlu = root / "data/nlu.yml"
    result = import_rasa(root)
    spans_match(result)
    assert result.format == "rasa" and result.languages == ["zh"]
    by_name = {i.name: i for i in result.content.intents}
    assert list(by_name) == ["greet", "inform_city", "oos"]
    assert [e.text for e in by_name["greet"].examples] == ["hey", "你好", "good morning"]
    assert by_name["greet"].responses == {"default": "Hey! How can I help?"}
    assert [e.source.line for e in by_name["greet"].examples if e.source] == [
        line_of(nlu, "- hey"),
        line_of(nlu, "- 你好"),
        line_of(nlu, "- good morning"),
    ]
    city = by_name["inform_city"].examples
    assert [
        (e.text, [(s.value, s.start, s.end, s.normalized, s.role) for s in e.entities])
        for e in city
    ] == [
        ("I live in Shenzhen", [("Shenzhen", 10, 18, None, None)]),
        ("寄到深圳吧", [("深圳", 2, 4, None, None)]),
        ("ship it to NYC", [("NYC", 11, 14, "New York City", "destination")]),
        ("move to SZ", [("SZ", 8, 10, "深圳", None)]),
    ]
    assert [e.text for e in by_name["oos"].examples] == ["what's the weather", "讲个笑话"]
    (faq,) = result.content.faqs
    assert (faq.id, faq.category, faq.questions, faq.answer) == (
        "faq/ask_return",
        "faq",
        ["how do I return an item", "怎么退货"],
        "签收后 7 天内可以退货。",
    )
    synonyms = {s.value: s.aliases for s in result.content.synonyms}
    assert synonyms == {"New York City": ["NYC", "new york"], "深圳": ["SZ"]}
    assert [(t.name, t.elements) for t in result.content.lookups] == [
        ("city", ["北京", "Shanghai"])
    ]
    assert skipped(result, "regex 'zipcode'") == ("AM202", "data/nlu.yml", line_of(nlu, "regex:"))
    assert skipped(result, "metadata")[1:] == ("data/nlu.yml", line_of(nlu, "metadata:"))
    assert skipped(result, "'out_of_scope'")[0] == "AM121"
    assert skipped(result, "stories (dialogue")[:2] == ("AM202", "data/stories.yml")
    assert skipped(result, "slots")[1] == "domain.yml"
    assert skipped(result, "utter_greet")[1:] == (
        "domain.yml",
        line_of(root / "domain.yml", "Hey!"),
    )
    assert skipped(result, "(utter_goodbye) are used by stories")[0] == "AM202"


def test_rasa_single_file_finds_domain_above(tmp_path: Path) -> None:
    root = make_rasa(tmp_path / "bot")
    result = import_rasa(root / "data/nlu.yml")
    assert result.content.faqs[0].answer == "签收后 7 天内可以退货。"
    assert result.content.intents[0].responses == {"default": "Hey! How can I help?"}


def test_rasa_retrieval_intent_without_response(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nlu.yml",
        """
        nlu:
        - intent: chitchat/ask_name
          examples: |
            - what's your name
            - 你叫什么
        """,
    )
    result = import_rasa(path)
    assert result.content.faqs[0].answer == ""
    assert skipped(result, "no response utter_chitchat/ask_name")[2] == 2


def test_rasa_markdown(tmp_path: Path) -> None:
    path = make_rasa_md(tmp_path)
    result = import_rasa(path)
    spans_match(result)
    (intent,) = result.content.intents
    assert intent.name == "check_balance"
    assert [(e.text, e.source.line if e.source else None) for e in intent.examples] == [
        ("what is my balance", 3),
        ("how much do I have on my savings", 4),
        ("我的储蓄卡还有多少钱", 5),
    ]
    assert intent.examples[2].entities[0].normalized == "savings"
    assert {s.value: s.aliases for s in result.content.synonyms} == {
        "savings": ["储蓄卡", "pink pig"]
    }
    assert result.content.lookups[0].elements == ["Yen", "USD"]
    assert skipped(result, "regex 'account_number'")[2] == line_of(path, "## regex")
    assert skipped(result, "plates.txt")[2] == line_of(path, "plates.txt")


def test_rasa_json(tmp_path: Path) -> None:
    path = make_rasa_json(tmp_path)
    result = import_rasa(path)
    spans_match(result)
    search = result.content.intents[0]
    assert search.name == "restaurant_search"
    assert [(s.value, s.normalized) for e in search.examples for s in e.entities] == [
        ("north", None),
        ("川菜", "四川菜"),
    ]
    assert search.examples[2].entities == []  # the out-of-range span was left out ...
    code, file, line = skipped(result, "8..99")  # ... and reported
    assert (code, file, line) == ("AM117", "nlu.json", line_of(path, '"end": 99') - 2)
    assert {s.value for s in result.content.synonyms} == {"四川菜", "chinese"}
    assert [t.name for t in result.content.lookups] == ["cuisine"]
    assert skipped(result, "'plates' given as a file")[0] == "AM202"
    assert skipped(result, "regex 'zipcode'")[0] == "AM202"


def test_rasa_broken_sources(tmp_path: Path) -> None:
    bad = write(
        tmp_path, "bad/nlu.yml", "nlu:\n- intent: greet\n  examples: |\n    - hi\n  - x: [\n"
    )
    with pytest.raises(ImportFormatError) as caught:
        import_rasa(bad)
    assert caught.value.code == "AM201" and caught.value.line == 5
    gbk = write(
        tmp_path, "gbk/nlu.yml", "nlu:\n- intent: 问候\n  examples: |\n    - 你好\n".encode("gbk")
    )
    with pytest.raises(ImportFormatError) as caught:
        import_rasa(gbk)
    assert caught.value.code == "AM101" and "save it as UTF-8" in (caught.value.hint or "")
    empty = write(tmp_path, "empty/nlu.yml", "version: '3.1'\nnlu: []\n")
    with pytest.raises(ImportFormatError) as caught:
        import_rasa(empty)
    assert caught.value.code == "AM201"

"""Dialogflow ES agents (folder and zip) and PaddleNLP classification sets."""

from __future__ import annotations

from pathlib import Path

import pytest
from datafixtures import write
from importfixtures import (
    make_dialogflow,
    make_dialogflow_zip,
    make_paddlenlp,
    make_paddlenlp_multilabel,
)

from aimass.data.importers import import_dialogflow, import_paddlenlp
from aimass.errors import ImportFormatError


@pytest.mark.parametrize("make", [make_dialogflow, make_dialogflow_zip])
def test_dialogflow_agent(tmp_path: Path, make: object) -> None:
    result = import_dialogflow(make(tmp_path / "agent"))  # type: ignore[operator]
    assert (result.name, result.languages, result.description) == (
        "OrderHelper",
        ["en", "zh"],
        "Order help",
    )
    intents = {i.name: i for i in result.content.intents}
    assert list(intents) == ["oos", "Default_Welcome_Intent", "intent_2"]
    assert [e.text for e in intents["oos"].examples] == ["what is the meaning of life"]
    welcome = intents["Default_Welcome_Intent"]
    assert welcome.description == "Default Welcome Intent"
    assert welcome.responses == {"en": "Hi! How can I help?", "zh": "您好！"}
    assert [e.text for e in welcome.examples] == ["hi", "hello there", "你好"]
    order = intents["intent_2"]
    assert order.description == "查询订单" and order.responses == {"zh": "请提供订单号。"}
    found = [(e.text, [(s.entity, s.value, s.role) for s in e.entities]) for e in order.examples]
    assert found == [
        ("where are my headphones", [("product", "headphones", None)]),
        ("我在上周三买的耳机到哪了", [("sys.date", "上周三", "date"), ("product", "耳机", "item")]),
    ]
    for example in order.examples:
        for span in example.entities:
            assert example.text[span.start : span.end] == span.value
    assert order.examples[1].source is not None
    assert order.examples[1].source.file == "intents/查询订单_usersays_zh-cn.json"
    assert {s.value: s.aliases for s in result.content.synonyms} == {
        "headphones": ["earphones", "headset"],
        "耳机": ["耳麦"],
    }
    assert [(t.name, t.elements) for t in result.content.lookups] == [
        ("product", ["headphones", "耳机"])
    ]
    notes = {p.message: (p.code, p.file) for p in result.skipped}
    assert notes["template-mode user says is not imported"] == (
        "AM202",
        "intents/查询订单_usersays_zh-cn.json",
    )
    assert notes["regexp entity 'order-id' is not imported"][0] == "AM202"
    assert any("replies of fallback intent" in m for m in notes)
    assert any("1 other variant(s) and 1 rich message(s)" in m for m in notes)
    assert sum(p.code == "AM121" for p in result.skipped) == 2


def test_dialogflow_not_an_agent(tmp_path: Path) -> None:
    write(tmp_path, "x/readme.txt", "hi")
    with pytest.raises(ImportFormatError) as caught:
        import_dialogflow(tmp_path / "x")
    assert caught.value.code == "AM200"


def test_paddlenlp_single_label(tmp_path: Path) -> None:
    result = import_paddlenlp(make_paddlenlp(tmp_path / "set"))
    intents = [
        (i.name, i.description, [e.text for e in i.examples]) for i in result.content.intents
    ]
    assert intents == [
        ("intent_1", "天气", ["今天北京天气怎么样", "明天会下雨吗", "后天热不热"]),
        ("intent_2", "订票", ["帮我订一张去上海的机票"]),
        ("intent_3", "闲聊", ["你叫什么名字"]),
    ]
    assert result.languages == ["zh"]
    notes = {p.message: (p.code, p.file, p.line) for p in result.skipped}
    assert notes["line has no tab between text and label; skipped"] == ("AM201", "train.txt", 5)
    assert notes["test.txt was not imported; keep it to evaluate the trained bot"][0] == "AM202"


def test_paddlenlp_english_labels_keep_their_names(tmp_path: Path) -> None:
    path = write(tmp_path, "train.txt", "where is my order\torder_status\nhi\tgreet\n")
    result = import_paddlenlp(path)
    assert [i.name for i in result.content.intents] == ["order_status", "greet"]
    assert result.skipped == []


def test_paddlenlp_multi_label_becomes_profile(tmp_path: Path) -> None:
    result = import_paddlenlp(make_paddlenlp_multilabel(tmp_path / "set"))
    assert result.content.intents == []
    assert [t.name for t in result.content.profile_tags] == ["物流", "价格", "质量"]
    assert [(e.text, e.tags) for e in result.content.profile_examples] == [
        ("快递太慢了而且太贵", ["物流", "价格"]),
        ("东西质量不错", ["质量"]),
        ("运费好贵", ["价格"]),
        ("你好", []),
        ("发货很快", ["物流"]),
    ]

"""Low-level file reading: encodings (AM101), YAML/JSON/CSV syntax (AM102), line numbers."""

from __future__ import annotations

import codecs

from aimass.data.annotations import format_annotated, parse_annotated
from aimass.data.csvsrc import load_csv
from aimass.data.encoding import decode_text
from aimass.data.jsonsrc import load_json
from aimass.data.language import language_of
from aimass.data.nodes import LStr, line_in
from aimass.data.yamlsrc import load_yaml
from aimass.schemas.project import EntitySpan


def test_utf8_and_bom_are_read() -> None:
    text, problem = decode_text(codecs.BOM_UTF8 + "退货\r\nreturn\n".encode(), "a.yaml")
    assert problem is None
    assert text == "退货\nreturn\n"


def test_gbk_is_am101_with_utf8_hint() -> None:
    data = "intents:\n  - name: 退货\n".encode("gbk")
    text, problem = decode_text(data, "data/intents.yaml")
    assert text is None and problem is not None
    assert problem.code == "AM101"
    assert problem.file == "data/intents.yaml"
    assert problem.line == 2
    assert "save it as UTF-8" in (problem.hint or "")
    assert "GBK" in (problem.hint or "")


def test_utf16_is_am101() -> None:
    text, problem = decode_text("hello".encode("utf-16"), "x.csv")
    assert text is None and problem is not None and problem.code == "AM101"
    assert "UTF-16" in problem.message


def test_yaml_keeps_lines_and_text() -> None:
    value, problems = load_yaml("a:\n  - no\n  - 2024-01-01\n  - ~\nb: |\n  x\n", "f.yaml")
    assert problems == []
    assert value["a"] == ["no", "2024-01-01", None]  # not False / a date
    assert isinstance(value["a"][0], LStr) and value["a"][0].line == 2
    assert value.key_lines == {"a": 1, "b": 5}
    assert line_in(value["a"], 1) == 3
    assert value["b"].style == "|"


def test_yaml_typed_mode_resolves_scalars() -> None:
    value, _ = load_yaml("n: 5\nx: 0.5\nt: true\ns: hi\n", "aimass.yaml", typed=True)
    assert value == {"n": 5, "x": 0.5, "t": True, "s": "hi"}


def test_yaml_syntax_error_is_am102_with_line() -> None:
    value, problems = load_yaml("intents:\n  - name: a\n    examples: [x, y\n  - name: b\n", "f")
    assert value is None
    assert [p.code for p in problems] == ["AM102"]
    assert problems[0].line == 4


def test_yaml_duplicate_key_is_am102() -> None:
    _, problems = load_yaml("name: a\nname: b\n", "f.yaml")
    assert problems[0].code == "AM102" and problems[0].line == 2
    assert "first on line 1" in problems[0].message


def test_json_keeps_lines() -> None:
    text = '{\n  "utterances": [\n    {"text": "hi",\n     "intent": "greet"},\n    "x"\n  ]\n}'
    value, problems = load_json(text, "app.json")
    assert problems == []
    assert value.line == 1
    assert value["utterances"].line == 2
    assert value["utterances"][0].line == 3
    assert value["utterances"][0]["intent"].line == 4
    assert line_in(value["utterances"], 1) == 5


def test_json_error_is_am102_with_line() -> None:
    _, problems = load_json('{\n  "a": 1,\n}\n', "app.json")
    assert problems[0].code == "AM102" and problems[0].line == 3


def test_csv_rows_start_lines_across_quoted_breaks() -> None:
    header, rows, problems = load_csv('Text,Intent\n"two\nlines",a\n\nthree,b\n', "f.csv")
    assert problems == []
    assert header == ["text", "intent"]
    assert [r.line for r in rows] == [2, 5]
    assert rows[0]["text"] == "two\nlines"


def test_csv_error_is_am102() -> None:
    _, _, problems = load_csv('text,intent\n"unclosed,a\n', "f.csv")
    assert problems and problems[0].code == "AM102"


def test_inline_annotations() -> None:
    text = '寄到[深圳](city)的[NYC]{"entity": "city", "value": "New York City", "role": "to"}'
    plain, spans, errors = parse_annotated(text + " [SZ](city:深圳) [bad]{oops}")
    assert errors and "not valid JSON" in errors[0]
    assert plain == "寄到深圳的NYC SZ bad"
    for span in spans:
        assert plain[span.start : span.end] == span.value
    assert [(s.entity, s.value, s.normalized, s.role) for s in spans] == [
        ("city", "深圳", None, None),
        ("city", "NYC", "New York City", "to"),
        ("city", "SZ", "深圳", None),
    ]
    assert parse_annotated("[urgent] please")[0] == "[urgent] please"


def test_format_annotated_round_trips_or_refuses() -> None:
    span = EntitySpan(start=2, end=4, entity="city", value="深圳", normalized="Shenzhen")
    written = format_annotated("寄到深圳", [span])
    assert written is not None
    assert parse_annotated(written)[:2] == ("寄到深圳", [span])
    # A text that already contains annotation syntax cannot be written inline.
    tricky = "see [a](b) and 深圳"
    assert format_annotated(tricky, []) is None
    assert (
        format_annotated(tricky, [EntitySpan(start=15, end=17, entity="c", value="深圳")]) is None
    )


def test_language_of() -> None:
    assert language_of("我想买iPhone 15 Pro") == "zh"
    assert language_of("how do I say 你好 in English") == "en"
    assert language_of("退货 return policy") == "zh"
    assert language_of("where is my order") == "en"
    assert language_of("12345", default="zh") == "zh"

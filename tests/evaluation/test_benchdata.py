"""Benchmark readers, coded errors and the stratified dev split."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from aimass.errors import CODES, ProjectError
from aimass.evaluation.benchdata import (
    FaqQuery,
    IntentExample,
    PairExample,
    clean_text,
    read_faq_bank,
    read_faq_queries,
    read_intent,
    read_match,
    split_half,
    write_jsonl,
)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_intent_strips_bom_and_zero_width(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "i.jsonl",
        [
            json.dumps({"text": "\ufeff打开熊猫看书", "label": "app"}, ensure_ascii=False),
            "",
            json.dumps({"text": "\u200bhello", "label": "greet", "extra": 1}),
        ],
    )
    rows = read_intent(p)
    assert rows == [IntentExample("打开熊猫看书", "app"), IntentExample("hello", "greet")]
    assert clean_text("\ufeff\u200bx\u200b") == "x\u200b"  # only leading characters go


def test_file_bom_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "i.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps({"text": "a", "label": "b"}).encode() + b"\n")
    assert read_intent(p) == [IntentExample("a", "b")]


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path / "bad.jsonl", ['{"text": "a", "label": "b"}', '{"text": "a", label}'])
    with pytest.raises(ProjectError) as err:
        read_intent(p)
    assert err.value.code == "AM102"
    assert err.value.line == 2
    assert err.value.file == str(p)
    assert "bad.jsonl:2" in str(err.value)


def test_non_object_line_is_am102(tmp_path: Path) -> None:
    p = _write(tmp_path / "x.jsonl", ["[1, 2]"])
    with pytest.raises(ProjectError) as err:
        read_intent(p)
    assert err.value.code == "AM102" and err.value.line == 1


def test_wrong_encoding_is_am101(tmp_path: Path) -> None:
    p = tmp_path / "gbk.jsonl"
    p.write_bytes(b'{"text": "a", "label": "b"}\n' + '{"text": "中文", "label": "b"}'.encode("gbk"))
    with pytest.raises(ProjectError) as err:
        read_intent(p)
    assert err.value.code == "AM101" and err.value.line == 2


def test_missing_field_is_am103(tmp_path: Path) -> None:
    p = _write(tmp_path / "m.jsonl", ['{"text_a": "a", "text_b": "b"}'])
    with pytest.raises(ProjectError) as err:
        read_match(p)
    assert err.value.code == "AM103" and err.value.line == 1
    p = _write(tmp_path / "t.jsonl", ['{"text": 3, "label": "x"}'])
    with pytest.raises(ProjectError) as err:
        read_intent(p)
    assert err.value.code == "AM103"


def test_match_labels(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "m.jsonl",
        [
            '{"text_a": "a", "text_b": "b", "label": 1}',
            '{"text_a": "a", "text_b": "c", "label": "0"}',
        ],
    )
    assert read_match(p) == [PairExample("a", "b", 1), PairExample("a", "c", 0)]
    p = _write(tmp_path / "bad.jsonl", ['{"text_a": "a", "text_b": "b", "label": 2}'])
    with pytest.raises(ProjectError) as err:
        read_match(p)
    assert err.value.code == "AM103"


def test_empty_text_is_am113(tmp_path: Path) -> None:
    p = _write(tmp_path / "e.jsonl", ['{"text": "\ufeff ", "label": "x"}'])
    with pytest.raises(ProjectError) as err:
        read_intent(p)
    assert err.value.code == "AM113"


def test_faq_bank_and_queries(tmp_path: Path) -> None:
    bank = _write(
        tmp_path / "faq.jsonl",
        [
            '{"id": "f1", "question": "q?", "answer": "a."}',
            '{"id": "f1", "question": "r", "answer": "b"}',
        ],
    )
    with pytest.raises(ProjectError) as err:
        read_faq_bank(bank)
    assert err.value.code == "AM109" and err.value.line == 2
    queries = _write(tmp_path / "q.jsonl", ['{"text": "hi", "faq_id": "f2"}'])
    assert read_faq_queries(queries) == [FaqQuery("hi", "f2")]
    with pytest.raises(ProjectError) as err:
        read_faq_queries(queries, faq_ids=["f1"])
    assert err.value.code == "AM119"


def test_codes_used_are_listed() -> None:
    for code in ("AM101", "AM102", "AM103", "AM104", "AM109", "AM113", "AM119"):
        assert code in CODES


def _records() -> list[IntentExample]:
    rows = []
    for label, count in (("a", 10), ("b", 7), ("c", 1), ("d", 1), ("e", 3), ("f", 1)):
        rows += [IntentExample(f"{label}{i}", label) for i in range(count)]
    return rows


def test_split_half_stratified_disjoint_covering_deterministic() -> None:
    rows = _records()
    a, b = split_half(rows, "label", seed=0)
    assert len(a) + len(b) == len(rows)
    assert not set(a) & set(b)
    assert set(a) | set(b) == set(rows)
    ca, cb = Counter(r.label for r in a), Counter(r.label for r in b)
    for label, n in Counter(r.label for r in rows).items():
        assert abs(ca[label] - cb[label]) <= 1, label
        assert ca[label] + cb[label] == n
    # odd classes b(7), c(1), d(1), e(3), f(1) alternate their extra record: a, b, a, b, a
    assert [ca[x] - cb[x] for x in "bcdef"] == [1, -1, 1, -1, 1]
    assert abs(len(a) - len(b)) <= 1
    assert split_half(rows, "label", seed=0) == (a, b)
    # halves keep the input order
    assert a == [r for r in rows if r in set(a)]
    assert split_half(rows, "label", seed=1) != (a, b)


def test_split_half_on_dicts_and_faq_queries() -> None:
    qs = [FaqQuery(f"q{i}", f"faq{i}") for i in range(6)]
    a, b = split_half(qs, "faq_id")
    assert len(a) == len(b) == 3
    dicts: list[dict[str, int]] = [{"id": i, "label": i % 2} for i in range(8)]
    a2, _ = split_half(dicts, "label")
    assert sorted(d["label"] for d in a2) == [0, 0, 1, 1]


def test_write_jsonl_roundtrip_atomic(tmp_path: Path) -> None:
    rows = [IntentExample("你好", "greet"), IntentExample("x", "y")]
    p = write_jsonl(tmp_path / "sub" / "out.jsonl", rows)
    assert "你好" in p.read_text(encoding="utf-8")  # not \u-escaped
    assert read_intent(p) == rows
    assert [f.name for f in p.parent.iterdir()] == ["out.jsonl"]  # no temp file left
    write_jsonl(p, [{"text": "z", "label": "w"}])
    assert read_intent(p) == [IntentExample("z", "w")]

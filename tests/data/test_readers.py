"""Each reader on good and broken YAML, CSV and JSON Lines files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from datafixtures import codes, line_of, make_pdf, only, write

from aimass.data.readers import (
    read_faqs,
    read_intents,
    read_kb_document,
    read_profile,
    read_synonyms,
)
from aimass.errors import MissingDependency, Severity

# -- intents ---------------------------------------------------------------------------------


def test_intents_yaml(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data/intents.yaml",
        """
        intents:
          - name: return_item               # a comment
            description: The customer wants to return a product
            responses:
              zh: 您可以在“我的订单”中申请退货
              en: You can request a return
            examples:
              - 我想退货怎么办
              - "  how do I return an item  "
              - text: send it back to [Shenzhen](city)
              - '寄回[深圳]{"entity": "city", "value": "Shenzhen", "role": "destination"}'
              - text: "[urgent] 退 [耳机]"
                entities: [{start: 12, end: 14, entity: product, value: 耳机}]
              - no
        """,
    )
    intents, problems = read_intents(path, tmp_path)
    assert problems == []
    (intent,) = intents
    assert intent.name == "return_item"
    assert intent.responses == {
        "zh": "您可以在“我的订单”中申请退货",
        "en": "You can request a return",
    }
    texts = [e.text for e in intent.examples]
    assert texts == [
        "我想退货怎么办",
        "how do I return an item",
        "send it back to Shenzhen",
        "寄回深圳",
        "[urgent] 退 [耳机]",
        "no",  # YAML 1.1 would make this False
    ]
    assert intent.source is not None and intent.source.line == 2
    assert intent.source.file == "data/intents.yaml"
    assert [e.source.line for e in intent.examples if e.source] == [
        line_of(path, "我想退货怎么办"),
        line_of(path, "how do I return"),
        line_of(path, "send it back"),
        line_of(path, "寄回"),
        line_of(path, "[urgent]"),
        line_of(path, "- no"),
    ]
    for example in intent.examples:
        for span in example.entities:
            assert example.text[span.start : span.end] == span.value
    shenzhen = intent.examples[3].entities[0]
    assert (shenzhen.entity, shenzhen.normalized, shenzhen.role) == (
        "city",
        "Shenzhen",
        "destination",
    )
    assert intent.examples[4].entities[0].value == "耳机"  # explicit list: brackets are literal


def test_intents_yaml_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data/intents.yaml",
        """
        intents:
          - name: greet
            exmaples:
              - hi
          - examples: [hello]
          - name: ask
            examples:
              - ""
              - text: 寄到深圳
                entities: [{start: 2, end: 4, entity: city, value: 上海}]
              - text: ok
                entities: [{start: 0, end: 9, entity: x}]
              - "[bad]{nope} thing"
          - just a string
        """,
    )
    intents, problems = read_intents(path, tmp_path)
    assert [i.name for i in intents] == ["greet", "ask"]
    typo = next(p for p in problems if "exmaples" in p.message)
    assert typo.code == "AM103" and typo.line == line_of(path, "exmaples")
    assert typo.hint == "did you mean 'examples'?"
    no_name = next(p for p in problems if "no 'name'" in p.message)
    assert no_name.line == line_of(path, "- examples: [hello]")
    assert only(problems, "AM113").line == line_of(path, '- ""')
    mismatches = [p for p in problems if p.code == "AM117"]
    assert [p.line for p in mismatches] == [
        line_of(path, "value: 上海"),
        line_of(path, "end: 9"),
        line_of(path, "[bad]{nope}"),
    ]
    assert "'深圳', not '上海'" in mismatches[0].message
    not_mapping = next(p for p in problems if "must be a mapping" in p.message)
    assert not_mapping.line == line_of(path, "just a string")
    assert all(p.file == "data/intents.yaml" for p in problems)


def test_intents_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data/intents.csv",
        """
        text,label,source
        我想退货,return_item,app
        "send it to [Shenzhen](city), please",return_item,web
        where is my parcel,order_status,web
        no intent here,,web
        """,
    )
    intents, problems = read_intents(path, tmp_path)
    assert [(i.name, [e.text for e in i.examples]) for i in intents] == [
        ("return_item", ["我想退货", "send it to Shenzhen, please"]),
        ("order_status", ["where is my parcel"]),
    ]
    span = intents[0].examples[1].entities[0]
    assert intents[0].examples[1].text[span.start : span.end] == "Shenzhen"
    assert intents[1].examples[0].source is not None
    assert intents[1].examples[0].source.line == 4
    assert only(problems, "AM103").line == 5


def test_intents_csv_bad_header(tmp_path: Path) -> None:
    path = write(tmp_path, "intents.csv", "sentence,intent\nhi,greet\n")
    _, problems = read_intents(path, tmp_path)
    assert only(problems, "AM103").line == 1
    assert "text,intent" in (problems[0].hint or "")


def test_intents_jsonl(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "train.jsonl",
        '{"text": "\\ufeff打开熊猫看书", "label": "app"}\n'
        '{"text": "寄到深圳", "intent": "ship", "entities": '
        '[{"start": 2, "end": 4, "entity": "city", "value": "深圳"}]}\n'
        "\n"
        "{broken\n"
        '["not", "an", "object"]\n',
    )
    intents, problems = read_intents(path, tmp_path)
    assert [(i.name, i.examples[0].text) for i in intents] == [
        ("app", "打开熊猫看书"),
        ("ship", "寄到深圳"),
    ]
    assert intents[1].examples[0].entities[0].value == "深圳"
    assert [(p.code, p.line) for p in problems] == [("AM102", 4), ("AM103", 5)]


def test_same_intent_twice_is_merged_and_conflicts_warn(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "intents.yaml",
        """
        intents:
          - name: greet
            responses: {en: Hello!}
            examples: [hi]
          - name: greet
            responses: {en: Hey!, zh: 你好！}
            examples: [你好]
        """,
    )
    intents, problems = read_intents(path, tmp_path)
    assert len(intents) == 1
    assert [e.text for e in intents[0].examples] == ["hi", "你好"]
    assert intents[0].responses == {"en": "Hello!", "zh": "你好！"}
    warning = only(problems, "AM123")
    assert warning.severity is Severity.WARNING and warning.line == 5


# -- FAQs ------------------------------------------------------------------------------------


def test_faq_yaml(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "faq.yaml",
        """
        faqs:
          - id: return-policy
            category: returns
            questions:
              - 退货政策是什么
              - What is your return policy?
            answer: |
              签收后 7 天内可无理由退货。
              Returns within 7 days.
          - id: fee
            questions: [运费多少]
            answers: {zh: 满 99 包邮, en: Free from 99}
            anwser: typo
        """,
    )
    faqs, problems = read_faqs(path, tmp_path)
    assert [f.id for f in faqs] == ["return-policy", "fee"]
    assert faqs[0].questions == ["退货政策是什么", "What is your return policy?"]
    assert faqs[0].answer == "签收后 7 天内可无理由退货。\nReturns within 7 days."
    assert faqs[1].answer_for("en") == "Free from 99"
    assert faqs[1].source is not None and faqs[1].source.line == line_of(path, "id: fee")
    assert only(problems, "AM103").line == line_of(path, "anwser")


def test_faq_csv_groups_rows_by_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "faq.csv",
        """
        id,question,answer,category
        return-policy,退货政策是什么,签收后 7 天内可退货,returns
        return-policy,How do returns work?,,
        fee,运费多少,满 99 包邮,
        return-policy,多久能退,A different answer,
        ,orphan question,x,
        """,
    )
    faqs, problems = read_faqs(path, tmp_path)
    assert [(f.id, f.questions, f.answer, f.category) for f in faqs] == [
        (
            "return-policy",
            ["退货政策是什么", "How do returns work?", "多久能退"],
            "签收后 7 天内可退货",
            "returns",
        ),
        ("fee", ["运费多少"], "满 99 包邮", None),
    ]
    assert only(problems, "AM109").line == 5
    assert only(problems, "AM103").line == 6


def test_faq_jsonl_benchmark_and_list_forms(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "faq.jsonl",
        '{"id": "faq000", "question": "Strikethrough with GitHub Markdown", '
        '"answer": "Use ~~tildes~~."}\n'
        '{"id": "faq000", "question": "How to strike text on GitHub?", '
        '"answer": "Use ~~tildes~~."}\n'
        '{"id": 7, "questions": ["会员怎么开通", "how to join"], "answer": "在 App 里开通"}\n',
    )
    faqs, problems = read_faqs(path, tmp_path)
    assert problems == []
    assert [(f.id, len(f.questions)) for f in faqs] == [("faq000", 2), ("7", 2)]


# -- profile ---------------------------------------------------------------------------------


def test_profile_yaml_csv_jsonl(tmp_path: Path) -> None:
    yaml_path = write(
        tmp_path,
        "profile.yaml",
        """
        tags:
          - name: vip
            description: A member of the VIP programme
          - 价格敏感
        examples:
          - text: 我是你们的钻石会员
            tags: [vip]
          - text: 你好
            tags: []
          - text: 太贵了
            tags: 价格敏感
          - text: x
            tag: [vip]
        """,
    )
    tags, examples, problems = read_profile(yaml_path, tmp_path)
    assert [t.name for t in tags] == ["vip", "价格敏感"]
    assert [(e.text, e.tags) for e in examples] == [
        ("我是你们的钻石会员", ["vip"]),
        ("你好", []),
        ("太贵了", ["价格敏感"]),
        ("x", []),
    ]
    assert only(problems, "AM103").line == line_of(yaml_path, "tag: [vip]")
    csv_path = write(tmp_path, "profile.csv", "text,tags\n有没有优惠券,价格敏感|vip\n你好,\n")
    _, examples, problems = read_profile(csv_path, tmp_path)
    assert problems == [] and [e.tags for e in examples] == [["价格敏感", "vip"], []]
    jsonl_path = write(
        tmp_path, "p.jsonl", '{"text": "I am a VIP", "tags": ["vip"]}\n{"tags": []}\n'
    )
    _, examples, problems = read_profile(jsonl_path, tmp_path)
    assert [e.tags for e in examples] == [["vip"]]
    assert only(problems, "AM113").line == 2


# -- synonyms --------------------------------------------------------------------------------


def test_synonyms_yaml_csv_jsonl(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "synonyms.yaml",
        """
        synonyms:
          - value: 深圳
            aliases: [shenzhen, SZ]
        lookups:
          - name: city
            elements: [北京, 上海, Shenzhen]
        """,
    )
    synonyms, lookups, problems = read_synonyms(path, tmp_path)
    assert problems == []
    assert [(s.value, s.aliases) for s in synonyms] == [("深圳", ["shenzhen", "SZ"])]
    assert lookups[0].elements == ["北京", "上海", "Shenzhen"]
    assert lookups[0].source is not None and lookups[0].source.line == 5
    csv_path = write(tmp_path, "syn.csv", "value,alias\n深圳,shenzhen\n深圳,SZ\n北京,Peking\n")
    synonyms, _, _ = read_synonyms(csv_path, tmp_path)
    assert [(s.value, s.aliases) for s in synonyms] == [
        ("深圳", ["shenzhen", "SZ"]),
        ("北京", ["Peking"]),
    ]
    jsonl_path = write(tmp_path, "syn.jsonl", '{"value": "北京", "aliases": ["Beijing"]}\n')
    synonyms, _, _ = read_synonyms(jsonl_path, tmp_path)
    assert synonyms[0].aliases == ["Beijing"]


# -- knowledge base --------------------------------------------------------------------------


def test_kb_markdown_text_html_pdf(tmp_path: Path) -> None:
    md = write(tmp_path, "kb/returns.md", "Intro line\n\n## 退货说明\n\n签收后 7 天内可退货。\n")
    setext = write(tmp_path, "kb/setext.md", "Shipping guide\n==============\n\nWe ship daily.\n")
    txt = write(tmp_path, "kb/notes.txt", "Opening hours: 9-18\n")
    html = write(
        tmp_path,
        "kb/page.html",
        "<html><head><title>会员权益</title><style>p{}</style></head>"
        "<body><h1>Ignored</h1><script>var x=1;</script><p>钻石会员优先发货。</p></body></html>",
    )
    htm = write(tmp_path, "kb/faq.htm", "<body><h1>Delivery</h1><p>Two days.</p></body>")
    pdf = write(tmp_path, "kb/guide.pdf", make_pdf("Return within 7 days", "Returns Guide"))
    untitled = write(tmp_path, "kb/untitled.pdf", make_pdf("Warranty is one year"))
    results = {
        p.name: read_kb_document(p, tmp_path) for p in (md, setext, txt, html, htm, pdf, untitled)
    }
    for document, problems in results.values():
        assert problems == [] and document is not None
    docs = {name: result[0] for name, result in results.items()}
    assert docs["returns.md"].title == "退货说明"
    assert docs["returns.md"].id == "kb/returns.md" and docs["returns.md"].format == "md"
    assert docs["returns.md"].language == "zh"
    assert docs["setext.md"].title == "Shipping guide"
    assert docs["notes.txt"].title == "notes"
    assert docs["page.html"].title == "会员权益"
    assert "钻石会员优先发货" in docs["page.html"].text and "var x" not in docs["page.html"].text
    assert docs["faq.htm"].title == "Delivery" and docs["faq.htm"].format == "html"
    assert docs["guide.pdf"].title == "Returns Guide"
    assert "Return within 7 days" in docs["guide.pdf"].text
    assert docs["untitled.pdf"].title == "untitled"


def test_kb_broken_files_are_problems(tmp_path: Path) -> None:
    corrupt = write(tmp_path, "kb/broken.pdf", b"%PDF-1.4\nthis is not really a pdf")
    empty = write(tmp_path, "kb/empty.md", "\n   \n")
    gbk = write(tmp_path, "kb/gbk.txt", "退货说明".encode("gbk"))
    for path, code in ((corrupt, "AM115"), (empty, "AM115"), (gbk, "AM101")):
        document, problems = read_kb_document(path, tmp_path)
        assert document is None
        assert codes(problems) == [code]
        assert problems[0].file == f"kb/{path.name}"


def test_kb_missing_library_raises_with_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = write(tmp_path, "kb/page.html", "<title>x</title><p>y</p>")
    pdf = write(tmp_path, "kb/guide.pdf", make_pdf("text"))
    monkeypatch.setitem(sys.modules, "bs4", None)
    monkeypatch.setitem(sys.modules, "pypdf", None)
    for path in (html, pdf):
        with pytest.raises(MissingDependency) as caught:
            read_kb_document(path, tmp_path)
        assert caught.value.hint == "pip install 'aimass[kb]'"

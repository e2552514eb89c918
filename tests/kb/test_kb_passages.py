"""Passages: what retrieval indexes and shows. Each must lie inside one section (so its link
is right), end on sentence boundaries, fit the size budget in Chinese and English alike, and
point back into its document exactly (``text == doc.text[start:end]``)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from aimass.cli.demo_cmd import demo_project
from aimass.data.project import load_project
from aimass.data.readers.kb import read_kb_document
from aimass.errors import RetrievalError
from aimass.kb import (
    ParsedDocument,
    Passage,
    UnreadableDocuments,
    load_document,
    load_kb,
    parse_document,
    parse_kb_document,
    passages_from_kb,
    read_kb,
    split_passages,
    text_size,
)
from aimass.text.sentences import split_sentences

FIXTURES = Path(__file__).parent / "fixtures"


def write(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def sections_under(doc: ParsedDocument, passage: Passage) -> list[list[str]]:
    """Heading paths of the sections whose bodies the passage overlaps."""
    return [
        s.heading_path
        for s in doc.sections
        if s.start < passage.end and passage.start < s.end and s.end > s.start
    ]


def allowed_edges(doc: ParsedDocument, max_chars: int) -> tuple[set[int], set[int]]:
    """Where passages may start and end: sentence edges, or anywhere inside a sentence that
    is longer than the budget (it must be cut somewhere)."""
    starts: set[int] = set()
    ends: set[int] = set()
    for section in doc.sections:
        for start, end in split_sentences(doc.text[section.start : section.end]):
            start, end = section.start + start, section.start + end
            starts.add(start)
            ends.add(end)
            if text_size(doc.text[start:end]) > max_chars:
                starts.update(range(start, end))
                ends.update(range(start, end))
    return starts, ends


@pytest.fixture(scope="module")
def demo_docs() -> list[ParsedDocument]:
    documents, problems = read_kb(demo_project(), ["kb"])
    assert problems == []
    return documents


def test_demo_kb_reads_every_document(demo_docs: list[ParsedDocument]) -> None:
    assert len(demo_docs) == 14
    assert {d.format for d in demo_docs} == {"md", "txt", "html"}
    for doc in demo_docs:
        assert doc.title and len(doc.sections) >= 3, doc.doc_id


def test_demo_kb_passages_respect_size_sections_and_sentences(
    demo_docs: list[ParsedDocument],
) -> None:
    max_chars = 350
    total = 0
    for doc in demo_docs:
        passages = split_passages(doc, max_chars=max_chars)
        total += len(passages)
        starts, ends = allowed_edges(doc, max_chars)
        for passage in passages:
            assert passage.text == doc.text[passage.start : passage.end]
            assert passage.doc_id == doc.doc_id and passage.title == doc.title
            # a sentence longer than the budget is cut too, so every passage fits
            assert text_size(passage.text) <= max_chars, passage.passage_id
            # never cut inside a sentence (unless it is longer than the budget)
            assert passage.start in starts and passage.end in ends, passage.passage_id
            # never across sections: one section, or siblings under the passage's heading
            under = sections_under(doc, passage)
            assert under, passage.passage_id
            if len(under) == 1:
                assert under[0] == passage.heading_path
            for path in under:
                assert path[: len(passage.heading_path)] == passage.heading_path
                assert len(path) <= len(passage.heading_path) + 1
        assert len({p.passage_id for p in passages}) == len(passages)
    assert total > 100


def test_without_merging_every_passage_lies_in_exactly_one_section(
    demo_docs: list[ParsedDocument],
) -> None:
    for doc in demo_docs:
        for passage in split_passages(doc, min_chars=0):
            (section,) = [
                s for s in doc.sections if s.start <= passage.start and passage.end <= s.end
            ]
            assert section.heading_path == passage.heading_path
            assert section.anchor == passage.anchor


def test_chinese_passages_are_cut_at_chinese_sentence_ends() -> None:
    sentence = "签收后七天内可以申请无理由退货，商品需要保持原状。"  # 25 CJK-ish characters
    doc = parse_document("# 退货\n\n" + sentence * 12, "md", doc_id="kb/r.md")
    passages = split_passages(doc, max_chars=200, overlap_sentences=0)
    assert len(passages) >= 3
    for passage in passages:
        assert passage.text.endswith("。") and passage.text.startswith("签收后")
        assert text_size(passage.text) <= 200
    # a CJK character counts twice: 200 units hold ~4 of these 25-character sentences
    assert passages[0].text.count("。") == 4


def test_overlap_repeats_the_last_sentence() -> None:
    text = "# Help\n\n" + " ".join(f"Sentence number {i} is here." for i in range(30))
    doc = parse_document(text, "md", doc_id="kb/h.md")
    passages = split_passages(doc, max_chars=120, min_chars=10, overlap_sentences=1)
    assert len(passages) > 3
    for before, after in itertools.pairwise(passages):
        last = split_sentences(before.text)[-1]
        assert after.text.startswith(before.text[last[0] : last[1]])
    no_overlap = split_passages(doc, max_chars=120, min_chars=10, overlap_sentences=0)
    assert all(a.end < b.start for a, b in itertools.pairwise(no_overlap))


def test_a_sentence_longer_than_the_budget_is_cut_after_a_comma() -> None:
    clause = "礼品卡可以用于购买商城内的大部分商品，"
    long_sentence = clause * 20 + "但不能购买其他礼品卡。"
    doc = parse_document(long_sentence, "txt", doc_id="kb/g.txt")
    passages = split_passages(doc, max_chars=100, overlap_sentences=0)
    assert len(passages) > 5
    assert "".join(p.text for p in passages) == long_sentence
    for passage in passages:
        assert text_size(passage.text) <= 100
        assert passage.text == doc.text[passage.start : passage.end]
    assert all(p.text.endswith("，") for p in passages[:-1])
    english = parse_document("word " * 200, "txt", doc_id="kb/w.txt")
    pieces = split_passages(english, max_chars=60, overlap_sentences=0)
    assert all(text_size(p.text) <= 60 and not p.text.endswith(" ") for p in pieces)
    assert " ".join(p.text for p in pieces) == ("word " * 200).strip()


def test_small_sections_merge_only_under_the_same_parent() -> None:
    text = (
        "# Guide\n\n"
        "## Payments\n\n### Alipay\n\nSupported.\n\n### WeChat Pay\n\nAlso supported.\n\n"
        "## Shipping\n\n### Fees\n\nFree over ¥99.\n"
    )
    doc = parse_document(text, "md", doc_id="kb/guide.md")
    passages = split_passages(doc, max_chars=200, min_chars=40)
    assert [(p.heading_path, p.anchor) for p in passages] == [
        (["Guide", "Payments"], "payments"),
        (["Guide", "Shipping", "Fees"], "fees"),
    ]
    assert passages[0].text == "Supported.\n\nWeChat Pay\n\nAlso supported."
    assert passages[0].link == "kb/guide.md#payments"
    assert passages[1].context == "Guide › Shipping › Fees"


def test_pdf_passages_keep_their_page_and_never_span_pages() -> None:
    doc = load_document(FIXTURES / "two-pages.pdf", root=FIXTURES)
    passages = split_passages(doc, min_chars=200)  # small pages would merge, but not across pages
    assert [(p.page, p.anchor) for p in passages] == [(1, "page=1"), (2, "page=2")]
    assert passages[1].link == "two-pages.pdf#page=2"


def test_passage_ids_are_stable_and_round_trip_as_json() -> None:
    text = "# 会员\n\n金卡会员享受免费上门取件。钻石会员退货期延长到 15 天。"
    first = split_passages(parse_document(text, "md", doc_id="kb/m.md"))
    again = split_passages(parse_document(text, "md", doc_id="kb/m.md"))
    assert [p.passage_id for p in first] == ["kb/m.md#0"] == [p.passage_id for p in again]
    assert first[0].digest == again[0].digest
    assert Passage.from_dict(first[0].to_dict()) == first[0]
    assert first[0].sentence_spans() == [(0, 13), (13, len(first[0].text))]


def test_invalid_settings_are_am727() -> None:
    doc = parse_document("Some text.", "txt", doc_id="kb/x.txt")
    for settings in ({"max_chars": 5}, {"min_chars": 400}, {"overlap_sentences": -1}):
        with pytest.raises(RetrievalError) as caught:
            split_passages(doc, **settings)  # type: ignore[arg-type]
        assert caught.value.code == "AM727"


# -- folders and the data layer ---------------------------------------------------------------


def test_load_kb_lists_every_unreadable_file_then_can_skip_them(tmp_path: Path) -> None:
    write(tmp_path, "kb/good.md", "# 运费\n\n满 99 元包邮。\n")
    write(tmp_path, "kb/sub/more.txt", "Delivery takes two days.\n")
    write(tmp_path, "kb/gbk.txt", "退货说明".encode("gbk"))
    write(tmp_path, "kb/empty.md", "\n\n")
    write(tmp_path, "kb/scan.pdf", (FIXTURES / "scanned.pdf").read_bytes())
    write(tmp_path, "kb/README", "not a document")
    write(tmp_path, "kb/.hidden/x.md", "# hidden\n\nskipped\n")
    with pytest.raises(UnreadableDocuments) as caught:
        load_kb(tmp_path, ["kb"])
    error = caught.value
    assert error.code == "AM726"
    assert sorted((p.file, p.code) for p in error.problems) == [
        ("kb/empty.md", "AM720"),
        ("kb/gbk.txt", "AM101"),
        ("kb/scan.pdf", "AM721"),
    ]
    assert "kb/scan.pdf" in str(error)
    passages = load_kb(tmp_path, ["kb"], strict=False)
    assert [(p.doc_id, p.text) for p in passages] == [
        ("kb/good.md", "满 99 元包邮。"),
        ("kb/sub/more.txt", "Delivery takes two days."),
    ]
    with pytest.raises(UnreadableDocuments) as caught:
        load_kb(tmp_path, ["kb/good.md", "missing/"])
    assert [(p.file, p.code) for p in caught.value.problems] == [("missing", "AM725")]


def test_project_kb_documents_become_passages(tmp_path: Path) -> None:
    project = load_project(demo_project())
    with_files = passages_from_kb(project.kb)
    direct = [p for doc in read_kb(project.root, ["kb"])[0] for p in split_passages(doc)]
    assert [(p.passage_id, p.text, p.anchor) for p in with_files] == [
        (p.passage_id, p.text, p.anchor) for p in direct
    ]


def fields(passages: list[Passage]) -> list[tuple[object, ...]]:
    return [
        (p.passage_id, p.text, p.start, p.end, p.heading_path, p.anchor, p.page, p.title)
        for p in passages
    ]


def test_stored_kb_documents_split_the_same_without_their_files(tmp_path: Path) -> None:
    """A trained artifact (and the service) keeps ``KbDocument``s, not files: every format must
    split into the same passages from the stored text as from the file."""
    from test_kb_formats import HTML, make_docx

    make_docx(tmp_path / "kb/warranty.docx")
    write(tmp_path, "kb/member.html", HTML)
    write(tmp_path, "kb/guide.pdf", (FIXTURES / "two-pages.pdf").read_bytes())
    write(tmp_path, "kb/notes.md", "# A\n\n\\# not a heading\n\n## B {#custom}\n\nText.\n")
    paths = sorted((tmp_path / "kb").iterdir()) + sorted((demo_project() / "kb").iterdir())
    for path in paths:
        root = tmp_path if path.is_relative_to(tmp_path) else demo_project()
        document, problems = read_kb_document(path, root)
        assert problems == [] and document is not None, path
        from_file = split_passages(load_document(path, root=root))
        assert fields(split_passages(parse_kb_document(document))) == fields(from_file), path
    pdf, _ = read_kb_document(tmp_path / "kb/guide.pdf", tmp_path)
    assert pdf is not None and [p.page for p in passages_from_kb([pdf])] == [1, 2]


def test_data_layer_reads_docx_and_reports_loader_errors(tmp_path: Path) -> None:
    from test_kb_formats import make_docx

    path = make_docx(tmp_path / "kb/warranty.docx")
    document, problems = read_kb_document(path, tmp_path)
    assert problems == [] and document is not None
    assert (document.id, document.format, document.title) == (
        "kb/warranty.docx",
        "docx",
        "ShopMate 保修手册",
    )
    assert document.text.startswith("# ShopMate 保修手册\n\n本手册说明保修范围。\n\n## 保修期")
    parsed = parse_kb_document(document)
    assert ["ShopMate 保修手册", "How to claim"] in [s.heading_path for s in parsed.sections]
    scan = write(tmp_path, "kb/scan.pdf", (FIXTURES / "scanned.pdf").read_bytes())
    document, problems = read_kb_document(scan, tmp_path)
    assert document is None
    assert [(p.code, p.file) for p in problems] == [("AM115", "kb/scan.pdf")]
    assert "scanned" in problems[0].message


def test_bilingual_documents_give_passages_in_each_language() -> None:
    text = "# 退货 / Returns\n\n## 中文\n\n签收后七天内可以退货，请保持商品完好。\n\n## English\n\nReturn items within 7 days of delivery, unused.\n"
    passages = split_passages(parse_document(text, "md", doc_id="kb/r.md"), min_chars=0)
    assert [(p.heading_path[-1], p.language) for p in passages] == [
        ("中文", "zh"),
        ("English", "en"),
    ]

"""Reading each knowledge-base format from real files: titles, heading paths, anchors, pages,
plain text without markup, and a coded error (never a traceback) for every broken file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aimass.errors import CODES, AimassError, MissingDependency, ProjectError, RetrievalError
from aimass.kb import ParsedDocument, load_document, slugify, split_passages

FIXTURES = Path(__file__).parent / "fixtures"


def write(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def body(doc: ParsedDocument, *heading_path: str) -> str:
    """The text under the section with exactly this heading path."""
    matches = [s for s in doc.sections if s.heading_path == list(heading_path)]
    assert len(matches) == 1, [s.heading_path for s in doc.sections]
    return doc.text[matches[0].start : matches[0].end]


def anchors(doc: ParsedDocument) -> list[str]:
    return [s.anchor for s in doc.sections]


# -- Markdown ---------------------------------------------------------------------------------

MARKDOWN = """\
---
title: 售后服务指南
owner: support
---
# 退货退款 / Returns

> 适用于中国大陆订单。

## 七天无理由退货

签收后 **7 天内**（钻石会员 *15 天*）可申请，详见[售后政策](https://shop.example/policy "政策")。
商品需保持原状，
不影响二次销售。

- 商品未使用；
- [ ] 配件齐全
1. 打开 App：「我的 → 订单」
2. 点击 `申请售后`

## 退货运费 {#shipping-fee}

| 情形 | 运费承担 |
|---|---|
| 质量问题 | 小蜜商城承担 |

## 七天无理由退货

Repeated heading, second section. See <https://shop.example/faq> and ![photo](a.png).

Setext heading
--------------

```
code stays as written: a_b_c **not bold**
```
"""


def test_markdown_headings_paths_anchors_and_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path, "kb/returns.md", MARKDOWN)
    doc = load_document(path, root=tmp_path)
    assert (doc.doc_id, doc.path, doc.format, doc.language) == (
        "kb/returns.md",
        "kb/returns.md",
        "md",
        "zh",
    )
    assert doc.title == "售后服务指南"  # front matter wins over the first heading
    top = "退货退款 / Returns"
    assert [s.heading_path for s in doc.sections] == [
        [top],
        [top, "七天无理由退货"],
        [top, "退货运费"],
        [top, "七天无理由退货"],
        [top, "Setext heading"],
    ]
    # GitHub's anchors: Chinese kept, punctuation dropped, repeats numbered; {#id} wins.
    assert anchors(doc) == [
        "退货退款--returns",
        "七天无理由退货",
        "shipping-fee",
        "七天无理由退货-1",
        "setext-heading",
    ]
    assert [s.line for s in doc.sections] == [5, 9, 20, 26, 30]
    first = doc.sections[1]
    assert doc.text[first.start : first.end] == (
        "签收后 7 天内（钻石会员 15 天）可申请，详见售后政策。\n"
        "商品需保持原状，不影响二次销售。\n\n"
        "商品未使用；\n配件齐全\n1. 打开 App：「我的 → 订单」\n2. 点击 申请售后"
    )
    assert doc.text[doc.sections[0].start : doc.sections[0].end] == "适用于中国大陆订单。"
    assert doc.text[doc.sections[2].start : doc.sections[2].end] == (
        "情形 | 运费承担\n质量问题 | 小蜜商城承担"
    )
    assert "See https://shop.example/faq and photo." in doc.text
    assert "code stays as written: a_b_c **not bold**" in doc.text
    assert "owner" not in doc.text and "**" not in doc.text.replace("**not bold**", "")
    for section in doc.sections:
        assert (
            doc.text[section.start : section.end] == doc.text[section.start : section.end].strip()
        )


def test_markdown_without_headings_is_one_section_titled_by_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "kb/hours.md", "Open daily 9:00-18:00.\nClosed on holidays.\n")
    doc = load_document(path, root=tmp_path)
    assert doc.title == "hours"
    assert len(doc.sections) == 1 and doc.sections[0].heading_path == []
    assert doc.text == "Open daily 9:00-18:00.\nClosed on holidays."


def test_slugify_follows_github() -> None:
    assert slugify("7-day no-reason returns") == "7-day-no-reason-returns"
    assert slugify("Faulty, wrong & missing items!") == "faulty-wrong--missing-items"
    assert slugify("关于我们（About）") == "关于我们about"


# -- plain text -------------------------------------------------------------------------------


def test_text_title_headings_and_conservative_detection(tmp_path: Path) -> None:
    text = (
        "小蜜商城发票说明\n\n"
        "本说明介绍发票类型和开票时间。\n\n"
        "一、发票类型\n\n"
        "电子普通发票（默认）可用于报销。\n"
        "短行不是标题\n"
        "增值税专用发票仅限企业。\n\n"
        "## 如何开票\n\n"
        "下单时选择开具发票。\n\n"
        "RETURNS POLICY\n\n"
        "Returns within 7 days.\n\n"
        "A short standalone line\n\n"
        "is not a heading when it is not marked as one.\n"
    )
    doc = load_document(write(tmp_path, "kb/invoices.txt", text), root=tmp_path)
    assert doc.title == "小蜜商城发票说明"
    assert [s.heading_path for s in doc.sections] == [
        ["小蜜商城发票说明"],
        ["小蜜商城发票说明", "一、发票类型"],
        ["小蜜商城发票说明", "如何开票"],
        ["小蜜商城发票说明", "RETURNS POLICY"],
    ]
    assert body(doc, "小蜜商城发票说明", "一、发票类型") == (
        "电子普通发票（默认）可用于报销。\n短行不是标题\n增值税专用发票仅限企业。"
    )
    assert body(doc, "小蜜商城发票说明", "RETURNS POLICY").endswith(
        "A short standalone line\n\nis not a heading when it is not marked as one."
    )
    assert "## " not in doc.text  # heading markers are not part of the plain text


def test_text_first_line_is_a_title_only_when_it_stands_alone(tmp_path: Path) -> None:
    one_line = load_document(write(tmp_path, "kb/notes.txt", "Opening hours: 9-18\n"))
    assert one_line.title == "notes" and one_line.sections[0].heading_path == []
    sentence = load_document(
        write(tmp_path, "kb/hours.txt", "We open at nine.\n\nWe close at six.\n")
    )
    assert sentence.title == "hours"


def test_gbk_text_is_the_coded_encoding_error(tmp_path: Path) -> None:
    path = write(tmp_path, "kb/gbk.txt", "退货说明：签收后七天内可退货。".encode("gbk"))
    with pytest.raises(ProjectError) as caught:
        load_document(path, root=tmp_path)
    error = caught.value
    assert error.code == "AM101" and error.file == "kb/gbk.txt" and error.line == 1
    assert "GBK" in (error.hint or "")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.md", ""),
        ("blank.txt", "  \n\n\t\n"),
        ("comment.md", "<!-- nothing here yet -->\n"),
        ("empty.html", "<html><head><title>T</title><script>x()</script></head><body> </body>"),
    ],
)
def test_empty_document_is_am720(tmp_path: Path, name: str, content: str) -> None:
    with pytest.raises(RetrievalError) as caught:
        load_document(write(tmp_path, f"kb/{name}", content), root=tmp_path)
    assert caught.value.code == "AM720" and caught.value.file == f"kb/{name}"


# -- HTML -------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><title>会员权益 / Membership</title><style>p { color: red }</style></head>
<body>
<nav><a href="/">Home</a> | <a href="/help">Help</a></nav>
<h1>Membership</h1>
<p>Four tiers: <strong>Silver</strong>, Gold,
   Platinum and Diamond.</p>
<h2 id="benefits">Benefits</h2>
<ul><li>Free pickup for returns;</li><li>钻石会员
  优先发货，15 天 内。</li></ul>
<table><tr><th>Tier</th><th>Points</th></tr><tr><td>Gold</td><td>1,000</td></tr></table>
<script>var tracking = 1;</script>
<h2>常见问题</h2>
<p>积分有效期为 12 个月。<br>过期积分不退。</p>
<!-- a comment -->
</body></html>
"""


def test_html_headings_ids_and_content_only(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "kb/member.html", HTML), root=tmp_path)
    assert doc.title == "会员权益 / Membership" and doc.format == "html"
    assert [s.heading_path for s in doc.sections] == [
        ["Membership"],
        ["Membership", "Benefits"],
        ["Membership", "常见问题"],
    ]
    assert anchors(doc) == ["membership", "benefits", "常见问题"]
    assert body(doc, "Membership") == "Four tiers: Silver, Gold, Platinum and Diamond."
    assert body(doc, "Membership", "Benefits") == (
        "Free pickup for returns;\n钻石会员优先发货，15 天 内。\n\nTier | Points\nGold | 1,000"
    )
    assert body(doc, "Membership", "常见问题") == "积分有效期为 12 个月。\n过期积分不退。"
    for dropped in ("Home", "tracking", "color", "comment"):
        assert dropped not in doc.text


# -- Word -------------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    from docx import Document

    document = Document()
    document.add_paragraph("ShopMate 保修手册", style="Title")
    document.add_paragraph("本手册说明保修范围。")
    document.add_heading("保修期", level=1)
    document.add_paragraph("自签收之日起 1 年。")
    document.add_heading("电子产品", level=2)
    document.add_paragraph("手机、耳机保修 1 年；", style="List Bullet")
    document.add_paragraph("电池保修 6 个月。", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "品类", "保修期"
    table.cell(1, 0).text, table.cell(1, 1).text = "耳机", "1 年"
    document.add_heading("How to claim", level=1)
    document.add_paragraph("Open the app and choose Repair.")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def test_docx_heading_styles_lists_and_tables(tmp_path: Path) -> None:
    doc = load_document(make_docx(tmp_path / "kb/warranty.docx"), root=tmp_path)
    title = "ShopMate 保修手册"
    assert doc.title == title and doc.format == "docx" and doc.doc_id == "kb/warranty.docx"
    assert [s.heading_path for s in doc.sections] == [
        [title],
        [title, "保修期"],
        [title, "保修期", "电子产品"],
        [title, "How to claim"],
    ]
    assert body(doc, title) == "本手册说明保修范围。"
    assert body(doc, title, "保修期", "电子产品") == (
        "手机、耳机保修 1 年；\n电池保修 6 个月。\n\n品类 | 保修期\n耳机 | 1 年"
    )
    assert body(doc, title, "How to claim") == "Open the app and choose Repair."


def test_broken_and_protected_docx_are_coded(tmp_path: Path) -> None:
    corrupt = write(tmp_path, "kb/manual.docx", b"PK\x03\x04 not really a zip")
    with pytest.raises(RetrievalError) as caught:
        load_document(corrupt, root=tmp_path)
    assert caught.value.code == "AM722" and caught.value.file == "kb/manual.docx"
    ole = write(tmp_path, "kb/old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(RetrievalError) as caught:
        load_document(ole, root=tmp_path)
    assert caught.value.code == "AM723"


# -- PDF --------------------------------------------------------------------------------------


def test_pdf_pages_are_sections_with_page_numbers() -> None:
    doc = load_document(FIXTURES / "two-pages.pdf", root=FIXTURES)
    assert doc.title == "ShopMate Service Guide" and doc.doc_id == "two-pages.pdf"
    assert [(s.page, s.anchor, s.heading_path) for s in doc.sections] == [
        (1, "page=1", []),
        (2, "page=2", []),
    ]
    assert body_of_page(doc, 1) == (
        "Returns are accepted within 7 days of delivery.\n"
        "Items must be unused and in their original packaging."
    )
    assert body_of_page(doc, 2).startswith("Warranty lasts one year from delivery.")


def body_of_page(doc: ParsedDocument, page: int) -> str:
    (section,) = [s for s in doc.sections if s.page == page]
    return doc.text[section.start : section.end]


def test_pdf_chinese_lines_wrapped_by_the_layout_are_joined() -> None:
    doc = load_document(FIXTURES / "chinese.pdf", root=FIXTURES)
    # The page wraps mid-sentence ("…可以申请 / 无理由退货。"); Chinese has no spaces to restore.
    assert doc.text == "签收后七天内可以申请无理由退货。质量问题请上传照片。"
    assert doc.title == "chinese" and doc.language == "zh"
    passages = split_passages(doc, max_chars=40, min_chars=10, overlap_sentences=0)
    assert [p.text for p in passages] == [
        "签收后七天内可以申请无理由退货。",
        "质量问题请上传照片。",
    ]
    assert {p.page for p in passages} == {1}


def test_scanned_pdf_says_it_needs_ocr() -> None:
    with pytest.raises(RetrievalError) as caught:
        load_document(FIXTURES / "scanned.pdf", root=FIXTURES)
    assert caught.value.code == "AM721" and caught.value.file == "scanned.pdf"
    assert "scanned" in caught.value.message and "OCR" in (caught.value.hint or "")


def test_corrupt_pdf_is_am722(tmp_path: Path) -> None:
    path = write(tmp_path, "kb/broken.pdf", b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(RetrievalError) as caught:
        load_document(path, root=tmp_path)
    assert caught.value.code == "AM722"


# -- files ------------------------------------------------------------------------------------


def test_unsupported_and_missing_files_are_coded(tmp_path: Path) -> None:
    with pytest.raises(RetrievalError) as caught:
        load_document(write(tmp_path, "kb/sheet.xlsx", b"PK"), root=tmp_path)
    assert caught.value.code == "AM724" and ".docx" in (caught.value.hint or "")
    with pytest.raises(RetrievalError) as caught:
        load_document(tmp_path / "kb/gone.md", root=tmp_path)
    assert caught.value.code == "AM725" and caught.value.file == "kb/gone.md"


def test_every_error_code_is_documented(tmp_path: Path) -> None:
    raised: list[AimassError] = []
    for name, content in (("a.md", ""), ("b.xlsx", "x"), ("c.pdf", b"%PDF-1.4 broken")):
        try:
            load_document(write(tmp_path, name, content))
        except AimassError as err:
            raised.append(err)
    assert [e.code for e in raised] == ["AM720", "AM724", "AM722"]
    assert all(code in CODES for code in [f"AM72{i}" for i in range(8)])


def test_missing_library_asks_for_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docx_path = make_docx(tmp_path / "kb/w.docx")
    html_path = write(tmp_path, "kb/p.html", "<p>x</p>")
    monkeypatch.setitem(sys.modules, "docx", None)
    monkeypatch.setitem(sys.modules, "bs4", None)
    for path in (docx_path, html_path):
        with pytest.raises(MissingDependency) as caught:
            load_document(path, root=tmp_path)
        assert caught.value.code == "AM900" and caught.value.hint == "pip install 'aimass[kb]'"

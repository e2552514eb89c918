"""Sentence spans: passages are cut and hits highlighted at these boundaries, in Chinese,
English and both mixed, so a wrong cut splits an answer in two or glues two together."""

from __future__ import annotations

import time

import pytest

from aimass.text.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def test_chinese_terminal_punctuation_ends_sentences() -> None:
    text = "签收后 7 天内可退货。质量问题请上传照片！可以开发票吗？可以；请在订单详情申请……好的"
    assert sentences(text) == [
        "签收后 7 天内可退货。",
        "质量问题请上传照片！",
        "可以开发票吗？",
        "可以；",
        "请在订单详情申请……",
        "好的",
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = "他说：“我明天来取件。”然后挂了电话。「真的能退吗？」她问。（详见售后政策。）最后一句"
    assert sentences(text) == [
        "他说：“我明天来取件。”",
        "然后挂了电话。",
        "「真的能退吗？」",
        "她问。",
        "（详见售后政策。）",
        "最后一句",
    ]


def test_runs_of_terminal_punctuation_stay_together() -> None:
    assert sentences("真的吗？！太好了!!! Really?! Yes.") == [
        "真的吗？！",
        "太好了!!!",
        "Really?!",
        "Yes.",
    ]


def test_english_abbreviations_decimals_urls_and_emails_are_not_cut() -> None:
    text = (
        "Mr. Smith paid $3.5 for it, e.g. by card. Visit https://shop.example/returns?id=3.5 "
        "for details. Write to help.desk@shop.example! Dr. J. Lee replies within approx. 2 "
        "days, i.e., quickly. Version 2.0 is out."
    )
    assert sentences(text) == [
        "Mr. Smith paid $3.5 for it, e.g. by card.",
        "Visit https://shop.example/returns?id=3.5 for details.",
        "Write to help.desk@shop.example!",
        "Dr. J. Lee replies within approx. 2 days, i.e., quickly.",
        "Version 2.0 is out.",
    ]


def test_number_abbreviations_only_before_numbers() -> None:
    assert sentences("See Fig. 2 and No. 15 for details. The answer is no. We checked.") == [
        "See Fig. 2 and No. 15 for details.",
        "The answer is no.",
        "We checked.",
    ]


def test_a_full_stop_before_a_lower_case_word_does_not_end_the_sentence() -> None:
    assert sentences("Bring the receipt, the box etc. and the charger. Then wait.") == [
        "Bring the receipt, the box etc. and the charger.",
        "Then wait.",
    ]


def test_mixed_chinese_and_english() -> None:
    text = "点击 Save.然后点击「确定」。Tap OK! 完成后您会收到短信 (SMS)。Done"
    assert sentences(text) == [
        "点击 Save.",
        "然后点击「确定」。",
        "Tap OK!",
        "完成后您会收到短信 (SMS)。",
        "Done",
    ]


def test_lines_and_list_items_are_boundaries() -> None:
    text = (
        "下单时选择抬头类型并填写：\n- 个人：抬头填写姓名；\n- 单位：单位名称和税号\n\n"
        "1. Open the app.\n2. Tap Return and choose a reason\n3. Book a pickup\n\n"
        "渠道 | 服务时间\n人工在线客服 | 每天 8:00–23:00"
    )
    assert sentences(text) == [
        "下单时选择抬头类型并填写：",
        "- 个人：抬头填写姓名；",
        "- 单位：单位名称和税号",
        "1. Open the app.",
        "2. Tap Return and choose a reason",
        "3. Book a pickup",
        "渠道 | 服务时间",
        "人工在线客服 | 每天 8:00–23:00",
    ]


def test_visibly_wrapped_lines_are_one_sentence() -> None:
    text = "We collect only the data needed to\nprovide our services,\nSMS included. Next line\nNew line"
    assert sentences(text) == [
        "We collect only the data needed to\nprovide our services,\nSMS included.",
        "Next line",
        "New line",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        "  首行缩进的句子。  \n\n  Second one.  ",
        "no terminal punctuation at all",
        "。。。",
        "a.b.c. D.E. f",
        "“”「」",
        "Line one\r\nLine two\fPage two\u2028next",
        "😀 表情也是句子的一部分。👍 Great!",
    ],
)
def test_spans_are_trimmed_ordered_and_cover_every_visible_character(text: str) -> None:
    spans = split_sentences(text)
    covered = set()
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        covered.update(range(start, end))
        previous_end = end
    assert all(i in covered for i, char in enumerate(text) if not char.isspace())


def test_fast_on_a_long_document() -> None:
    text = (
        "退货须在签收后 7 天内申请，商品需保持原状。Returns are accepted within 7 days, e.g. "
        "for unused items. 详见 https://shop.example/a.b 页面！\n"
    ) * 2000  # ~230 k chars
    started = time.perf_counter()
    spans = split_sentences(text)
    assert len(spans) == 2000 * 3
    assert time.perf_counter() - started < 5.0

"""Normalisation: what matching compares, and an exact way back to what the customer typed."""

from __future__ import annotations

import pytest
from textcases import TRICKY

from aimass.errors import InputError
from aimass.text import NormalizedText, normalize
from aimass.text.normalize import normalize_fast, to_simplified


def test_full_width_case_and_traditional_are_normalised() -> None:
    assert normalize("我的ｉＰｈｏｎｅ　１５怎麼退貨").text == "我的iphone 15怎么退货"
    assert normalize("ＡＢＣ").text == "abc"
    assert normalize("Straße").text == "strasse"


def test_options_switch_off_case_folding_and_conversion() -> None:
    assert normalize("Ｐｒｏ 退貨", lower=False).text == "Pro 退货"
    assert normalize("Ｐｒｏ 退貨", t2s=False).text == "pro 退貨"


def test_whitespace_collapses_to_single_spaces_and_is_trimmed() -> None:
    nt = normalize("  tab\tand\n\nnew\u3000line\u00a0end  ")
    assert nt.text == "tab and new line end"
    # the one space between 'and' and 'new' stands for the whole original run
    i = nt.text.index(" new")
    assert nt.span_to_original(i, i + 1) == (9, 11)


@pytest.mark.parametrize(
    ("original", "normalised", "pieces"),
    [
        ("①", "1", ["①"]),
        ("ﬁx", "fix", ["ﬁ", "ﬁ", "x"]),
        ("e\u0301t\u00e9", "été", ["e\u0301", "t", "é"]),
        ("❤\ufe0f!", "❤!", ["❤\ufe0f", "!"]),
        ("a\u200bb", "ab", ["a", "b"]),
        ("１５", "15", ["１", "５"]),
        ("㍻", "平成", ["㍻", "㍻"]),
    ],
)
def test_every_normalised_char_points_at_the_original_chars_it_came_from(
    original: str, normalised: str, pieces: list[str]
) -> None:
    nt = normalize(original)
    assert nt.text == normalised
    assert [original[slice(*nt.span_to_original(i, i + 1))] for i in range(len(nt.text))] == pieces
    assert nt.span_to_original(0, len(nt.text)) == (
        0,
        len(original.rstrip("!")) + ("!" in original),
    )


@pytest.mark.parametrize("text", TRICKY)
def test_offset_map_invariants_hold_on_tricky_text(text: str) -> None:
    nt = normalize(text)
    assert isinstance(nt, NormalizedText) and nt.original == text
    # traditional→simplified never moves a character: same length, same map
    plain = normalize(text, t2s=False)
    assert len(plain.text) == len(nt.text) and plain._starts == nt._starts
    previous = (0, 0)
    for i, ch in enumerate(nt.text):
        start, end = nt.span_to_original(i, i + 1)
        assert 0 <= start < end <= len(text)
        assert (start, end) >= previous  # monotone: the map never goes backwards
        previous = (start, end)
        piece = normalize(text[start:end], t2s=False).text
        # the original chars behind a normalised char normalise to something containing it
        # (conversion aside: OpenCC converts '乾' alone but not in '乾隆')
        assert plain.text[i] in piece or (ch == " " and piece == "")
        assert nt.to_original(i) == start
    assert nt.to_original(len(nt.text)) == (
        nt.span_to_original(0, len(nt.text))[1] if nt.text else 0
    )


@pytest.mark.parametrize("text", TRICKY)
def test_fast_path_agrees_with_the_offset_path_up_to_whitespace(text: str) -> None:
    assert normalize_fast(text).split() == normalize(text).text.split()


def test_empty_and_whitespace_only_text_normalise_to_empty() -> None:
    for text in ("", "   ", "\t\n", "\u200b\ufe0f"):
        nt = normalize(text)
        assert nt.text == "" and nt.to_original(0) == 0 and nt.span_to_original(0, 0) == (0, 0)


def test_out_of_range_offsets_are_refused() -> None:
    nt = normalize("退货")
    with pytest.raises(IndexError):
        nt.to_original(3)
    with pytest.raises(IndexError):
        nt.span_to_original(1, 3)


def test_traditional_conversion_keeps_length_and_skips_simplified_text() -> None:
    for text in ("頭髮發財乾燥後臺", "这已经是简体", "mixed 退貨 text", "乾隆皇帝"):
        assert len(to_simplified(text)) == len(text)
    assert to_simplified("頭髮") == "头发"
    assert to_simplified("这已经是简体") == "这已经是简体"


def test_non_text_is_a_coded_input_error() -> None:
    with pytest.raises(InputError) as err:
        normalize(None)  # type: ignore[arg-type]
    assert err.value.code == "AM740"


def test_very_long_text_keeps_an_exact_map() -> None:
    text = ("我的ｉＰｈｏｎｅ１５怎麼退貨？ ❤️ ﬁne\t" * 3000).strip()
    nt = normalize(text)
    assert len(nt.text) > 50_000
    i = nt.text.rindex("退货")
    assert text[slice(*nt.span_to_original(i, i + 2))] == "退貨"

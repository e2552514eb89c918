"""The analyzer: the terms BM25 indexes and queries with, each placed on the original text."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections import Counter

import pytest
from textcases import TRICKY

from aimass.errors import InputError
from aimass.text import Analyzer, Token, analyze, default_analyzer, normalize, terms

MIXED = "我的iPhone 15 Pro怎么退货？"


def spans_of(text: str, tokens: list[Token]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t in tokens:
        out.setdefault(t.term, []).append(text[t.start : t.end])
    return out


def test_mixed_chinese_english_gives_words_ngrams_and_stemmed_latin_on_the_right_chars() -> None:
    tokens = analyze(MIXED)
    found = spans_of(MIXED, tokens)
    assert found["iphon"] == ["iPhone"] and found["15"] == ["15"] and found["pro"] == ["Pro"]
    assert Token("退货", 17, 19, "word") in tokens
    assert Token("怎么", 15, 17, "word") in tokens
    assert {"退", "货", "么退"} <= set(found)  # character n-grams as well as words
    assert "的" not in found and "？" not in found  # stopword and punctuation give no term


def test_full_width_digits_and_letters_match_their_ascii_forms_on_the_full_width_chars() -> None:
    text = "ｉＰｈｏｎｅ　１５天内可以退吗"
    found = spans_of(text, analyze(text))
    assert found["15"] == ["１５"]
    assert found["iphon"] == ["ｉＰｈｏｎｅ"]
    assert set(terms("ＡＢＣ１２３")) == {"abc", "123"}


def test_traditional_characters_match_simplified() -> None:
    assert set(terms("退貨運費誰承擔")) == set(terms("退货运费谁承担"))
    found = spans_of("怎麼退貨", analyze("怎麼退貨"))
    assert found["退货"] == ["退貨"]
    assert "退貨" in terms("退貨") or "退货" in terms("退貨")
    assert "退貨" in Analyzer(t2s=False).terms("退貨")


def test_emoji_produce_no_terms_and_never_crash() -> None:
    assert terms("😊😀❤️👍🏽👨\u200d👩\u200d👧") == []
    assert analyze("🇨🇳🏳️\u200d🌈") == []
    found = spans_of("😊你好😀", analyze("😊你好😀"))
    assert found["你好"] == ["你好"]


def test_tabs_newlines_and_empty_text() -> None:
    assert terms("") == [] and analyze("") == []
    assert terms(" \t\n ") == []
    text = "order\tstatus\nrefund\r\n退款"
    found = spans_of(text, analyze(text))
    assert (
        found["order"] == ["order"] and found["refund"] == ["refund"] and found["退款"] == ["退款"]
    )


def test_numbers_stay_whole() -> None:
    found = spans_of("价格3.5元，共1000件", analyze("价格3.5元，共1000件"))
    assert found["3.5"] == ["3.5"] and found["1000"] == ["1000"]


@pytest.mark.parametrize("text", TRICKY)
def test_token_invariants_on_tricky_text(text: str) -> None:
    for analyzer in (
        default_analyzer(),
        Analyzer(stem=False, stopwords=False, cjk_ngrams=(1, 2, 3)),
    ):
        tokens = analyzer.analyze(text)
        assert tokens == sorted(tokens, key=lambda t: (t.start, t.end))
        for t in tokens:
            assert 0 <= t.start < t.end <= len(text)
            assert t.kind in {"word", "cjk_char", "cjk_bigram", "cjk_ngram", "latin", "number"}
            assert t.term and not t.term.isspace()
        # the bulk path yields exactly the same terms
        assert Counter(analyzer.terms(text)) == Counter(t.term for t in tokens)
    # unstemmed: the original chars under a token normalise to text containing the term
    # (t2s off on the slice too: OpenCC keeps '乾' in '乾隆' but converts it alone)
    for t in Analyzer(stem=False).analyze(text):
        piece = text[t.start : t.end]
        assert t.term in normalize(piece).text or t.term in normalize(piece, t2s=False).text


def test_spans_slice_back_to_exactly_the_term_on_plain_text() -> None:
    text = "小蜜商城的会员积分怎么用 how do returns work 2024"
    for t in Analyzer(stem=False).analyze(text):
        assert normalize(text[t.start : t.end]).text == t.term


def test_user_dictionary_changes_segmentation_without_touching_jieba_globally() -> None:
    text = "小蜜商城的会员积分怎么用"
    assert Token("小蜜商城", 0, 4, "word") not in analyze(text)
    custom = Analyzer(user_words=["小蜜商城", "iPhone手機殼"])
    assert Token("小蜜商城", 0, 4, "word") in custom.analyze(text)
    assert "小蜜商城" in custom.terms(text)
    # a user word's Chinese part, normalised (traditional → simplified) like the text
    assert Token("手机壳", 6, 9, "word") in custom.analyze("iPhone手機殼")
    # the default analyzer and a fresh one are unaffected
    assert "小蜜商城" not in terms(text)
    assert "小蜜商城" not in Analyzer().terms(text)


def test_bad_configuration_is_a_coded_error() -> None:
    with pytest.raises(InputError) as err:
        Analyzer(user_words=["  "])
    assert err.value.code == "AM741"
    with pytest.raises(InputError) as err:
        Analyzer(cjk_ngrams=(0, 2))
    assert err.value.code == "AM742"


def test_options_stopwords_stemming_and_ngrams() -> None:
    text = "我的订单 returns"
    assert "的" in Analyzer(stopwords=False).terms(text)
    assert "returns" in Analyzer(stem=False).terms(text) and "return" in terms(text)
    words_only = Analyzer(cjk_ngrams=()).analyze("怎么申请退货退款")
    assert {t.kind for t in words_only} == {"word"}
    assert [t.term for t in words_only] == ["怎么", "申请", "退货", "退款"]


def test_analyzer_pickles_as_its_configuration() -> None:
    analyzer = Analyzer(user_words=["小蜜商城"], cjk_ngrams=(2,), stopwords=False)
    analyzer.terms("小蜜商城预热")  # load jieba first: the loaded state must not be pickled
    data = pickle.dumps(analyzer)
    assert len(data) < 1000
    clone = pickle.loads(data)
    assert clone == analyzer and clone.config() == analyzer.config()
    assert clone.terms("小蜜商城的会员 returns") == analyzer.terms("小蜜商城的会员 returns")


def test_default_analyzer_is_shared() -> None:
    assert default_analyzer() is default_analyzer()
    assert terms(MIXED) == default_analyzer().terms(MIXED)


def test_very_long_text() -> None:
    text = "我的ｉＰｈｏｎｅ　１５怎麼退貨？😊 return policy\t" * 2000
    tokens = analyze(text)
    assert len(tokens) >= 10 * 2000
    last = [t for t in tokens if t.term == "退货"][-1]
    assert text[last.start : last.end] == "退貨"
    assert Counter(terms(text)) == Counter(t.term for t in tokens)


def test_warm_up_returns_a_ready_analyzer() -> None:
    analyzer = Analyzer(user_words=["小蜜商城"]).warm_up()
    assert "小蜜商城" in analyzer.terms("小蜜商城客服")


def test_import_is_light_and_jieba_is_silent() -> None:
    probe = """
import sys
import aimass.text
assert not {"jieba", "opencc", "Stemmer"} & set(sys.modules), sys.modules.keys()
from aimass.text import terms
print(terms("我想退貨"))
assert {"jieba", "opencc"} <= set(sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # jieba's "Building prefix dict ..." chatter is silenced
    assert "退货" in out.stdout


def test_every_text_layer_code_is_registered() -> None:
    from pathlib import Path

    import aimass.text
    from aimass.errors import CODES

    used: set[str] = set()
    for path in Path(aimass.text.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        used |= {source[i + 1 : i + 6] for i in range(len(source)) if source.startswith('"AM', i)}
    used = {code for code in used if code[2:].isdigit()}
    assert used and used <= set(CODES), used - set(CODES)

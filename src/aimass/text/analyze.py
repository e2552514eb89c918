"""Turn customer text into search terms, Chinese first and English first-class.

One ``Analyzer`` serves BM25 indexing, query analysis, match highlighting and the policy's
keyword rules, so that all of them agree on what a "term" is:

* the text is normalised (``aimass.text.normalize``: NFKC, half-width, case folded,
  traditional→simplified), so '退貨', '退货' and full-width '１５' meet their plain forms;
* runs of Chinese (and Japanese kana) are segmented by jieba (words, with an optional user
  dictionary) *and* cut into character n-grams (1- and 2-grams by default), because jieba's
  segmentation of a paraphrase often differs from the FAQ's while the bigrams still overlap;
* Latin-script words are lower-cased and Snowball-stemmed (English), numbers kept whole;
* emoji, punctuation and symbols produce no terms.

Every ``Token`` carries its span in the *original* text, so highlights land on the characters
the customer typed. ``terms`` skips the offset bookkeeping and is the bulk-indexing path.

jieba, OpenCC and the stemmer load on first use (``import aimass.text`` stays light), and an
``Analyzer`` pickles as its configuration alone, so worker processes rebuild it cheaply.
"""

from __future__ import annotations

import logging
import operator
import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from aimass.errors import InputError
from aimass.text.normalize import normalize, normalize_fast
from aimass.text.stopwords import EN_STOPWORDS, ZH_STOPWORDS

if TYPE_CHECKING:  # pragma: no cover
    import jieba

__all__ = ["Analyzer", "Token", "analyze", "default_analyzer", "terms"]

log = logging.getLogger(__name__)


class Token(NamedTuple):
    """One term and the span ``original[start:end]`` it came from.

    ``kind`` is 'word' (a jieba word), 'cjk_char' / 'cjk_bigram' (a character n-gram that is
    not itself a segmented word; 'cjk_ngram' for n >= 3), 'latin' (a word in an alphabetic
    script, stemmed when English) or 'number'.
    """

    term: str
    start: int
    end: int
    kind: str


# Han (BMP, extension A, compatibility, supplementary planes), iteration marks and kana.
_CJK = (
    "\u3005\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
_LETTERS = rf"[^\W\d_{_CJK}]+"
_RUN_RE = re.compile(
    rf"(?P<cjk>[{_CJK}]+)"
    rf"|(?P<number>\d+(?:\.\d+)*)"
    rf"|(?P<latin>{_LETTERS}(?:'{_LETTERS})*)"
)
_CJK_ONLY_RE = re.compile(rf"[{_CJK}]+")

_SINGLE_STOP_CHARS = frozenset(w for w in ZH_STOPWORDS if len(w) == 1)
# A bigram of two function characters ('我的', '了吗') is as empty as each of them.
_ZH_STOP_NGRAMS = ZH_STOPWORDS | frozenset(
    a + b for a in _SINGLE_STOP_CHARS for b in _SINGLE_STOP_CHARS
)

_span_key = operator.itemgetter(1, 2)

_CACHE_LIMIT = 200_000  # entries per memo (stems, segmentations); cleared when full
_MEMO_RUN_LIMIT = 64  # characters: longer Chinese runs are segmented without memo


# ---------------------------------------------------------------- jieba, loaded once


_jieba_lock = threading.Lock()
_base_tokenizer: jieba.Tokenizer | None = None


def _base_jieba() -> jieba.Tokenizer:
    """A private jieba tokenizer with the default dictionary (never jieba's global one)."""
    global _base_tokenizer
    with _jieba_lock:
        if _base_tokenizer is None:
            import jieba

            # jieba announces every dictionary load on stderr through its own logger.
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _base_tokenizer = tokenizer
        return _base_tokenizer


_custom_tokenizers: dict[tuple[str, ...], jieba.Tokenizer] = {}


def _jieba_with_words(words: tuple[str, ...]) -> jieba.Tokenizer:
    """A tokenizer that also knows ``words``: the default dictionary copied, not reloaded.

    Shared by analyzers with the same words (a worker process re-creating its analyzer, an
    index and its query side), and never changed once built.
    """
    import jieba

    base = _base_jieba()
    with _jieba_lock:
        tokenizer = _custom_tokenizers.get(words)
        if tokenizer is None:
            tokenizer = jieba.Tokenizer()
            tokenizer.FREQ = dict(base.FREQ)
            tokenizer.total = base.total
            tokenizer.initialized = True
            for word in words:
                tokenizer.add_word(word)
            if len(_custom_tokenizers) >= 8:
                _custom_tokenizers.pop(next(iter(_custom_tokenizers)))
            _custom_tokenizers[words] = tokenizer
        return tokenizer


# ---------------------------------------------------------------- the analyzer


class Analyzer:
    """Configurable text → terms, shared by indexing, querying and highlighting.

    Args:
        user_words: extra words for Chinese segmentation (product names, '小蜜商城'); they
            are normalised like the text, and only their Chinese parts matter (other
            scripts are split off before segmentation anyway).
        cjk_ngrams: character n-gram sizes emitted for Chinese runs; ``()`` for words only.
        stem: Snowball-stem English words ('returns' → 'return').
        stopwords: drop the small built-in Chinese/English function-word lists.
        t2s: convert traditional Chinese to simplified before analysis.
        hmm: let jieba guess unknown words with its HMM. Off by default: the guesses vary
            between paraphrases, and the character n-grams already cover unknown words.
    """

    #: Bumped whenever the same configuration starts producing different terms (a stopword
    #: list, a regex, the jieba dictionary): a persisted index stores it with ``config()``
    #: and re-tokenises when either differs.
    version: int = 1

    def __init__(
        self,
        *,
        user_words: Iterable[str] = (),
        cjk_ngrams: Iterable[int] = (1, 2),
        stem: bool = True,
        stopwords: bool = True,
        t2s: bool = True,
        hmm: bool = False,
    ) -> None:
        sizes = tuple(sorted(set(cjk_ngrams)))
        if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in sizes):
            raise InputError(
                f"cjk_ngrams must be positive whole numbers, got {tuple(cjk_ngrams)!r}",
                code="AM742",
                hint="use e.g. cjk_ngrams=(1, 2), or () for jieba words only",
            )
        self.user_words: tuple[str, ...] = tuple(user_words)
        self.cjk_ngrams = sizes
        self.stem = bool(stem)
        self.stopwords = bool(stopwords)
        self.t2s = bool(t2s)
        self.hmm = bool(hmm)
        self._segment_words = _user_word_parts(self.user_words, t2s=self.t2s)
        self._ngram_set = frozenset(sizes)
        # Runs no longer than this are fully covered by n-grams: every word in them is one.
        self._ngram_cover = 0
        while self._ngram_cover + 1 in self._ngram_set:
            self._ngram_cover += 1
        self._lock = threading.Lock()
        self._tokenizer: jieba.Tokenizer | None = None
        self._stemmer: Any = None
        self._stems: dict[str, str] = {}
        self._segments: dict[str, list[str]] = {}

    # -- configuration and pickling: the configuration is the whole state -----------------

    def config(self) -> dict[str, Any]:
        """The arguments that rebuild this analyzer (JSON-friendly)."""
        return {
            "user_words": list(self.user_words),
            "cjk_ngrams": list(self.cjk_ngrams),
            "stem": self.stem,
            "stopwords": self.stopwords,
            "t2s": self.t2s,
            "hmm": self.hmm,
        }

    def __getstate__(self) -> dict[str, Any]:
        return self.config()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"Analyzer({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Analyzer) and self.config() == other.config()

    def __hash__(self) -> int:
        return hash(repr(self))

    # -- public API ----------------------------------------------------------------------

    def analyze(self, text: str) -> list[Token]:
        """Tokens with spans in the original ``text``, ordered by (start, end)."""
        normalized = normalize(text, t2s=self.t2s)
        starts, ends = normalized._starts, normalized._ends
        tokens = [
            Token(term, starts[s], ends[e - 1], kind)
            for term, s, e, kind in self._tokens(normalized.text)
        ]
        # Ordered already, except where one original character expanded ('㍻' → '平成').
        tokens.sort(key=_span_key)
        return tokens

    def terms(self, text: str) -> list[str]:
        """The terms of ``text`` (the same multiset as ``analyze``), without offsets.

        The indexing path: normalisation runs at C speed and n-grams are cut in bulk.
        """
        s = normalize_fast(text, t2s=self.t2s)
        out: list[str] = []
        for m in _RUN_RE.finditer(s):
            kind = m.lastgroup
            if kind == "cjk":
                self._cjk_terms(m.group(), out)
            elif kind == "latin":
                term = self._latin(m.group())
                if term is not None:
                    out.append(term)
            else:
                out.append(m.group())
        return out

    def warm_up(self) -> Analyzer:
        """Load jieba, OpenCC and the stemmer now (a service at start-up, a timed benchmark)
        instead of on the first text that needs them."""
        from aimass.text.normalize import to_simplified

        self._tokenizer or self._load_tokenizer()
        to_simplified("預熱")
        self._latin("warming")
        return self

    def segment(self, run: str) -> list[str]:
        """jieba's words for a run of (normalised) Chinese characters, memoised."""
        words = self._segments.get(run)
        if words is None:
            tokenizer = self._tokenizer or self._load_tokenizer()
            words = tokenizer.lcut(run, HMM=self.hmm)
            if sum(map(len, words)) != len(run):  # never seen; keeps offsets honest if it did
                words = list(run)
            if len(run) <= _MEMO_RUN_LIMIT:  # short runs repeat; a whole document does not
                if len(self._segments) >= _CACHE_LIMIT:
                    self._segments.clear()
                self._segments[run] = words
        return words

    # -- internals -----------------------------------------------------------------------

    def _load_tokenizer(self) -> jieba.Tokenizer:
        with self._lock:
            if self._tokenizer is None:
                if self._segment_words:
                    self._tokenizer = _jieba_with_words(self._segment_words)
                else:
                    self._tokenizer = _base_jieba()
            return self._tokenizer

    def _latin(self, word: str) -> str | None:
        if self.stopwords and word in EN_STOPWORDS:
            return None
        if not self.stem or not word.isascii():
            return word
        stem = self._stems.get(word)
        if stem is None:
            if self._stemmer is None:
                import Stemmer

                self._stemmer = Stemmer.Stemmer("english")
            stem = self._stemmer.stemWord(word)
            if len(self._stems) >= _CACHE_LIMIT:
                self._stems.clear()
            self._stems[word] = stem
        return stem

    def _cjk_terms(self, run: str, out: list[str]) -> None:
        stop = self.stopwords
        sizes = self._ngram_set
        words = self.segment(run) if len(run) > self._ngram_cover else ()
        for word in words:
            # A word as long as an n-gram size is that n-gram at the same place: count once.
            if len(word) not in sizes and not (stop and word in _ZH_STOP_NGRAMS):
                out.append(word)
        for n in self.cjk_ngrams:
            if n == 1:
                grams: Iterable[str] = run
            else:
                grams = [run[k : k + n] for k in range(len(run) - n + 1)]
            if stop:
                out.extend(g for g in grams if g not in _ZH_STOP_NGRAMS)
            else:
                out.extend(grams)

    def _tokens(self, s: str) -> list[tuple[str, int, int, str]]:
        """(term, start, end, kind) with offsets into the normalised string ``s``."""
        out: list[tuple[str, int, int, str]] = []
        for m in _RUN_RE.finditer(s):
            kind = m.lastgroup
            if kind == "cjk":
                out.extend(self._cjk_tokens(m.group(), m.start()))
            elif kind == "latin":
                term = self._latin(m.group())
                if term is not None:
                    out.append((term, m.start(), m.end(), "latin"))
            else:
                out.append((m.group(), m.start(), m.end(), "number"))
        return out

    def _cjk_tokens(self, run: str, offset: int) -> list[tuple[str, int, int, str]]:
        stop = self.stopwords
        sizes = self._ngram_set
        found: list[tuple[int, int, str, str]] = []
        word_spans: set[tuple[int, int]] = set()
        pos = 0
        for word in self.segment(run):
            end = pos + len(word)
            if len(word) in sizes:
                word_spans.add((pos, end))
            if not (stop and word in _ZH_STOP_NGRAMS):
                found.append((pos, end, word, "word"))
            pos = end
        for n in self.cjk_ngrams:
            kind = "cjk_char" if n == 1 else "cjk_bigram" if n == 2 else "cjk_ngram"
            for k in range(len(run) - n + 1):
                if (k, k + n) in word_spans:
                    continue
                gram = run[k : k + n]
                if stop and gram in _ZH_STOP_NGRAMS:
                    continue
                found.append((k, k + n, gram, kind))
        found.sort()
        return [(term, offset + s, offset + e, kind) for s, e, term, kind in found]


def _user_word_parts(words: tuple[str, ...], *, t2s: bool) -> tuple[str, ...]:
    """The Chinese parts (2+ characters) of the user words, normalised like the text."""
    parts: list[str] = []
    for word in words:
        if not isinstance(word, str) or not word.strip():
            raise InputError(
                f"user dictionary word {word!r} is empty or not text",
                code="AM741",
                hint="list each user word as a non-empty string, e.g. user_words=['小蜜商城']",
            )
        for run in _CJK_ONLY_RE.findall(normalize_fast(word, t2s=t2s)):
            if len(run) >= 2 and run not in parts:
                parts.append(run)
    return tuple(parts)


# ---------------------------------------------------------------- module-level shortcuts

_default_lock = threading.Lock()
_default: Analyzer | None = None


def default_analyzer() -> Analyzer:
    """The process-wide analyzer with default settings (created once, on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Analyzer()
    return _default


def analyze(text: str) -> list[Token]:
    """``default_analyzer().analyze(text)``."""
    return default_analyzer().analyze(text)


def terms(text: str) -> list[str]:
    """``default_analyzer().terms(text)``."""
    return default_analyzer().terms(text)

"""Small built-in stopword lists (normalised form: simplified, case folded).

Deliberately short: BM25's IDF already discounts common words, so these lists only remove
function words that would otherwise light up as "matching" in highlights. Negations
(不, 没, no, not) and question words (怎么, 什么, how, what, why …) are kept on purpose:
in customer service they separate questions ("can I return" vs "why can't I return").
"""

from __future__ import annotations

__all__ = ["EN_STOPWORDS", "ZH_STOPWORDS"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ZH_STOPWORDS: frozenset[str] = _words(
    """
    的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 噢 嗯 哈 啦 嘛 么 哇 呐 之 而 与 及 和 跟 或 并 且
    是 在 有 就 也 都 又 把 被 让 给 向 从 于 以 为 将
    我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己
    这 那 这个 那个 这些 那些 这样 那样 个 些
    请 请问 一下 一个 麻烦
    """
)

EN_STOPWORDS: frozenset[str] = _words(
    """
    a an the and or but of to in on at by for with from into onto about as than then so
    is are was were be been being am do does did doing have has had having
    i me my mine myself you your yours we us our it its this that these those
    he him his she her they them their there here
    will would shall should can could may might must
    please just also very really too any some
    """
)

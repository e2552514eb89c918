"""``aimass init``: a small starter project that validates clean and trains.

The starter shows every kind of content once (intents with responses and an entity, an
out-of-scope class, FAQs, a knowledge-base page, profile tags) so a new user can see the format
by example and replace the texts with their own.
"""

from __future__ import annotations

from pathlib import Path

from aimass.data.content import ProjectContent
from aimass.data.readers.examples import read_example
from aimass.data.writer import write_project
from aimass.errors import Problem, ProjectError
from aimass.schemas.project import Faq, Intent, KbDocument, ProfileExample, ProfileTag, Synonym

__all__ = ["LANGUAGE_CHOICES", "init_project", "starter_content"]

LANGUAGE_CHOICES = {"zh": ["zh"], "en": ["en"], "both": ["zh", "en"]}

# intent -> (description, responses by language, examples by language). Five or more
# examples per language so each choice meets the default min_examples_per_intent.
_INTENTS: dict[str, tuple[str, dict[str, str], dict[str, list[str]]]] = {
    "greet": (
        "The customer says hello",
        {"zh": "您好！请问有什么可以帮您？", "en": "Hello! How can I help you today?"},
        {
            "zh": ["你好", "您好", "在吗", "有人吗", "早上好"],
            "en": ["hello", "hi there", "good morning", "hey", "is anyone there"],
        },
    ),
    "order_status": (
        "The customer asks where an order is",
        {
            "zh": "请在“我的订单”中查看物流信息；如有异常，请告诉我订单号。",
            "en": "You can follow your parcel under 'My orders'; tell me the order number "
            "if something looks wrong.",
        },
        {
            "zh": [
                "我的订单到哪了",
                "快递什么时候到",
                "帮我查一下物流",
                "订单显示已发货但还没收到",
                "我买的东西什么时候发货",
            ],
            "en": [
                "where is my order",
                "when will my package arrive",
                "track my parcel please",
                "my order says shipped but it has not arrived",
                "when do you ship my purchase",
            ],
        },
    ),
    "return_item": (
        "The customer wants to return a product",
        {
            "zh": "签收后 7 天内可在“我的订单”中申请无理由退货。",
            "en": "You can request a return under 'My orders' within 7 days of delivery.",
        },
        {
            "zh": [
                "我想退货",
                "这个东西怎么退",
                "收到的商品有问题想退掉",
                "退货流程是什么",
                "我想把[耳机](product)退了",
            ],
            "en": [
                "I want to return an item",
                "how do I send this back",
                "the product arrived broken and I want a refund",
                "what is the return process",
                "can I return the [headphones](product)",
            ],
        },
    ),
    "human_agent": (
        "The customer wants to talk to a person",
        {"zh": "好的，正在为您转接人工客服。", "en": "Sure, connecting you to an agent."},
        {
            "zh": ["转人工", "我要找人工客服", "人工服务", "让真人来跟我说", "我要找你们经理"],
            "en": [
                "talk to a human",
                "I want a real person",
                "connect me to an agent",
                "customer service representative please",
                "let me speak to your manager",
            ],
        },
    ),
    "oos": (
        "Out of scope: messages this bot should not try to answer",
        {},
        {
            "zh": [
                "今天天气怎么样",
                "给我讲个笑话",
                "帮我写一首诗",
                "明天的高铁票还有吗",
                "一加一等于几",
            ],
            "en": [
                "what's the weather like today",
                "tell me a joke",
                "write me a poem",
                "who won the game last night",
                "what is two plus two",
            ],
        },
    ),
}

_FAQS: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = [
    (
        "shipping-fee",
        "shipping",
        {
            "zh": ["运费怎么算", "包邮吗", "满多少免运费"],
            "en": ["how much is shipping", "is delivery free", "when is shipping free"],
        },
        {
            "zh": "订单满 99 元包邮，不满 99 元收取 8 元运费。",
            "en": "Shipping is free from 99 yuan; below that it costs 8 yuan.",
        },
    ),
    (
        "payment-methods",
        "payment",
        {
            "zh": ["可以用什么付款", "支持信用卡吗", "能用支付宝吗"],
            "en": ["which payment methods do you accept", "can I pay by credit card"],
        },
        {
            "zh": "支持支付宝、微信支付和银联信用卡。",
            "en": "We accept Alipay, WeChat Pay and UnionPay credit cards.",
        },
    ),
]

_TAGS = {"vip": "A member of the VIP programme", "price_sensitive": "Cares most about price"}
_PROFILE: dict[str, list[tuple[str, list[str]]]] = {
    "zh": [
        ("我是你们的钻石会员，这个能优先发货吗", ["vip"]),
        ("作为VIP会员有什么专属优惠", ["vip", "price_sensitive"]),
        ("我的黑卡会员权益在哪里看", ["vip"]),
        ("有没有优惠券？太贵了", ["price_sensitive"]),
        ("能不能再便宜一点", ["price_sensitive"]),
        ("你好", []),
        ("我的订单到哪了", []),
    ],
    "en": [
        ("I'm a platinum member, can you ship this first", ["vip"]),
        ("what extra discounts do VIP members get", ["vip", "price_sensitive"]),
        ("where can I see my premium membership benefits", ["vip"]),
        ("do you have any coupons? it's too expensive", ["price_sensitive"]),
        ("can you make it a bit cheaper", ["price_sensitive"]),
        ("hello", []),
        ("where is my order", []),
    ],
}

_KB = """# 退换货说明 / Returns and exchanges

签收后 7 天内，商品完好即可申请无理由退货。退货运费由买家承担；商品质量问题由我们承担运费。

Within 7 days of delivery you can return any item in its original condition. You pay the
return postage unless the item is faulty.
"""


def starter_content(language: str = "zh") -> ProjectContent:
    """The starter content for ``language``: ``"zh"``, ``"en"`` or ``"both"``."""
    languages = _languages(language)
    problems: list[Problem] = []
    intents = []
    for name, (description, responses, examples) in _INTENTS.items():
        parsed = [
            example
            for lang in languages
            for raw in examples[lang]
            if (example := read_example(raw, file="", line=None, problems=problems)) is not None
        ]
        for example in parsed:
            example.source = None
        intents.append(
            Intent(
                name=name,
                description=description,
                responses={lang: responses[lang] for lang in languages if lang in responses},
                examples=parsed,
            )
        )
    faqs = [
        Faq(
            id=faq_id,
            category=category,
            questions=[q for lang in languages for q in questions[lang]],
            answer=answers[languages[0]] if len(languages) == 1 else "",
            answers={lang: answers[lang] for lang in languages} if len(languages) > 1 else {},
        )
        for faq_id, category, questions, answers in _FAQS
    ]
    return ProjectContent(
        intents=intents,
        faqs=faqs,
        kb=[
            KbDocument(
                id="kb/returns.md",
                title="退换货说明 / Returns and exchanges",
                text=_KB,
                format="md",
                path="kb/returns.md",
            )
        ],
        profile_tags=[ProfileTag(name=n, description=d) for n, d in _TAGS.items()],
        profile_examples=[
            ProfileExample(text=text, tags=tags)
            for lang in languages
            for text, tags in _PROFILE[lang]
        ],
        synonyms=[Synonym(value="耳机", aliases=["headphones", "earphones"])],
    )


def init_project(
    directory: str | Path, name: str | None = None, language: str = "zh", *, overwrite: bool = False
) -> Path:
    """Write the starter project to ``directory`` (which must be new or empty) and return it."""
    languages = _languages(language)
    return write_project(
        directory,
        starter_content(language),
        name,
        languages=languages,
        description="Starter project: replace these examples with your own",
        overwrite=overwrite,
    )


def _languages(language: str) -> list[str]:
    try:
        return LANGUAGE_CHOICES[language]
    except KeyError:
        raise ProjectError(
            f"unknown starter language {language!r}",
            code="AM103",
            hint=f"choose one of: {', '.join(LANGUAGE_CHOICES)}",
        ) from None

"""Small exports that look like the real ones (Rasa, LUIS, CLU, Dialogflow ES, PaddleNLP).

Each ``make_*`` writes its fixture under a folder and returns the path to import.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from datafixtures import write

RASA_NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - 你好
    - good morning
- intent: inform_city
  metadata:
    sentiment: neutral
  examples: |
    - I live in [Shenzhen](city)
    - 寄到[深圳](city)吧
    - ship it to [NYC]{"entity": "city", "value": "New York City", "role": "destination"}
    - move to [SZ](city:深圳)
- intent: faq/ask_return
  examples: |
    - how do I return an item
    - 怎么退货
- intent: out_of_scope
  examples:
  - text: |
      what's the weather
  - text: 讲个笑话
- synonym: New York City
  examples: |
    - NYC
    - new york
- regex: zipcode
  examples: |
    - \\d{6}
- lookup: city
  examples: |
    - 北京
    - Shanghai
"""

RASA_DOMAIN = """\
version: "3.1"
intents:
  - greet
  - inform_city
responses:
  utter_greet:
  - text: "Hey! How can I help?"
    buttons:
    - title: orders
      payload: /order
  - text: "Hi!"
  utter_faq/ask_return:
  - text: 签收后 7 天内可以退货。
  utter_goodbye:
  - text: Bye
slots:
  city:
    type: text
    mappings:
    - type: from_entity
      entity: city
"""

RASA_STORIES = """\
version: "3.1"
stories:
- story: happy path
  steps:
  - intent: greet
  - action: utter_greet
"""


def make_rasa(root: Path) -> Path:
    write(root, "config.yml", "language: zh\npipeline: []\npolicies: []\n")
    write(root, "domain.yml", RASA_DOMAIN)
    write(root, "data/nlu.yml", RASA_NLU)
    write(root, "data/stories.yml", RASA_STORIES)
    write(root, "README.md", "# My Rasa bot\n")
    return root


RASA_MD = """\
<!-- Rasa 1.x training data -->
## intent:check_balance
- what is my balance <!-- a comment -->
- how much do I have on my [savings](source_account)
- 我的[储蓄卡](source_account:savings)还有多少钱

## synonym:savings
- pink pig

## regex:account_number
- [0-9]{9}

## lookup:currencies
- Yen
- USD

## lookup:plates
data/lookups/plates.txt
"""


def make_rasa_md(root: Path) -> Path:
    return write(root, "nlu.md", RASA_MD)


RASA_JSON = {
    "rasa_nlu_data": {
        "common_examples": [
            {
                "text": "i'm looking for a place in the north of town",
                "intent": "restaurant_search",
                "entities": [{"start": 31, "end": 36, "value": "north", "entity": "location"}],
            },
            {
                "text": "我想吃川菜",
                "intent": "restaurant_search",
                "entities": [{"start": 3, "end": 5, "value": "四川菜", "entity": "cuisine"}],
            },
            {
                "text": "show me chinese food",
                "intent": "restaurant_search",
                "entities": [{"start": 8, "end": 99, "value": "chinese", "entity": "cuisine"}],
            },
            {"text": "hello", "intent": "greet", "entities": []},
        ],
        "regex_features": [{"name": "zipcode", "pattern": "[0-9]{5}"}],
        "lookup_tables": [
            {"name": "cuisine", "elements": ["川菜", "粤菜"]},
            {"name": "plates", "elements": "data/plates.txt"},
        ],
        "entity_synonyms": [{"value": "chinese", "synonyms": ["Chinese", "chines"]}],
    }
}


def make_rasa_json(root: Path) -> Path:
    return write(root, "nlu.json", json.dumps(RASA_JSON, ensure_ascii=False, indent=2))


# LUIS: endPos is inclusive; offsets are UTF-16 code units (the emoji counts two).
LUIS_APP = {
    "luis_schema_version": "7.0.0",
    "versionId": "0.1",
    "name": "TravelAgent",
    "desc": "Books flights",
    "culture": "zh-cn",
    "tokenizerVersion": "1.0.0",
    "intents": [{"name": "BookFlight"}, {"name": "None"}, {"name": "Cancel"}],
    "entities": [{"name": "Location", "roles": ["destination"], "children": []}],
    "closedLists": [
        {
            "name": "City",
            "subLists": [
                {"canonicalForm": "北京", "list": ["beijing", "peking"]},
                {"canonicalForm": "Paris", "list": ["paris", "the city of light"]},
            ],
            "roles": [],
        }
    ],
    "composites": [],
    "hierarchicals": [],
    "patternAnyEntities": [],
    "regex_entities": [],
    "prebuiltEntities": [{"name": "datetimeV2", "roles": []}],
    "model_features": [],
    "regex_features": [],
    "patterns": [
        {"pattern": "book a flight to {Location}", "intent": "BookFlight"},
        {"pattern": "fly to {Location}", "intent": "BookFlight"},
    ],
    "utterances": [
        {
            "text": "book a flight to paris",
            "intent": "BookFlight",
            "entities": [
                {"entity": "Location", "startPos": 17, "endPos": 21, "role": "destination"}
            ],
        },
        {
            "text": "订一张去北京的机票",
            "intent": "BookFlight",
            "entities": [{"entity": "Location", "startPos": 4, "endPos": 5, "children": []}],
        },
        {
            "text": "✈️😀 fly me to tokyo",
            "intent": "BookFlight",
            "entities": [{"entity": "Location", "startPos": 15, "endPos": 19}],
        },
        {"text": "what's the weather", "intent": "None", "entities": []},
        {
            "text": "flight to rome",
            "intent": "BookFlight",
            "entities": [{"entity": "Location", "startPos": 10, "endPos": 40}],
        },
    ],
    "settings": [],
}


def make_luis(root: Path) -> Path:
    return write(root, "TravelAgent.json", json.dumps(LUIS_APP, ensure_ascii=False, indent=2))


CLU_PROJECT = {
    "projectFileVersion": "2022-10-01-preview",
    "stringIndexType": "Utf16CodeUnit",
    "metadata": {
        "projectKind": "Conversation",
        "settings": {"confidenceThreshold": 0},
        "projectName": "ShopBot",
        "multilingual": True,
        "description": "Shop assistant",
        "language": "zh-hans",
    },
    "assets": {
        "projectKind": "Conversation",
        "intents": [{"category": "TrackOrder"}, {"category": "None"}, {"category": "退货"}],
        "entities": [
            {
                "category": "Product",
                "compositionSetting": "combineComponents",
                "list": {
                    "sublists": [
                        {
                            "listKey": "耳机",
                            "synonyms": [
                                {"language": "zh-hans", "values": ["耳麦"]},
                                {"language": "en-us", "values": ["headphones", "earphones"]},
                            ],
                        }
                    ]
                },
                "prebuilts": [{"category": "Quantity.Number"}],
            },
            {"category": "OrderId", "regex": {"expressions": [{"regexKey": "id"}]}},
        ],
        "utterances": [
            {
                "text": "我的耳机订单到哪了",
                "language": "zh-hans",
                "intent": "TrackOrder",
                "entities": [{"category": "Product", "offset": 2, "length": 2}],
                "dataset": "Train",
            },
            {
                "text": "where are my 🎧 headphones",
                "language": "en-us",
                "intent": "TrackOrder",
                "entities": [{"category": "Product", "offset": 16, "length": 10}],
            },
            {"text": "我要退货", "language": "zh-hans", "intent": "退货", "entities": []},
            {"text": "tell me a joke", "language": "en-us", "intent": "None"},
            {
                "text": "track order 123",
                "language": "en-us",
                "intent": "TrackOrder",
                "dataset": "Test",
            },
        ],
    },
}


def make_clu(root: Path) -> Path:
    return write(root, "ShopBot.json", json.dumps(CLU_PROJECT, ensure_ascii=False, indent=2))


def _intent(name: str, **extra: object) -> dict[str, object]:
    return {
        "id": "00000000-0000-0000-0000-000000000000",
        "name": name,
        "auto": True,
        "contexts": [],
        "responses": extra.pop("responses", []),
        "priority": 500000,
        "webhookUsed": False,
        "webhookForSlotFilling": False,
        "fallbackIntent": extra.pop("fallbackIntent", False),
        "events": extra.pop("events", []),
        **extra,
    }


def _says(
    *items: list[dict[str, object]], lang: str = "en", template: bool = False
) -> list[object]:
    return [
        {
            "id": f"id-{i}",
            "data": parts,
            "isTemplate": template,
            "count": 0,
            "lang": lang,
            "updated": 0,
        }
        for i, parts in enumerate(items)
    ]


DIALOGFLOW_FILES: dict[str, object] = {
    "agent.json": {
        "description": "Order help",
        "language": "en",
        "supportedLanguages": ["zh-cn"],
        "displayName": "OrderHelper",
        "defaultTimezone": "Asia/Shanghai",
    },
    "package.json": {"version": "1.0.0"},
    "intents/Default Welcome Intent.json": _intent(
        "Default Welcome Intent",
        events=[{"name": "WELCOME"}],
        responses=[
            {
                "resetContexts": False,
                "action": "input.welcome",
                "affectedContexts": [],
                "parameters": [],
                "messages": [
                    {
                        "type": "0",
                        "title": "",
                        "textToSpeech": "",
                        "lang": "en",
                        "speech": ["Hi! How can I help?", "Hello!"],
                    },
                    {"type": "0", "lang": "zh-cn", "speech": ["您好！"]},
                    {"type": 4, "lang": "en", "payload": {"richContent": []}},
                ],
            }
        ],
    ),
    "intents/Default Welcome Intent_usersays_en.json": _says(
        [{"text": "hi", "userDefined": False}],
        [{"text": "hello there", "userDefined": False}],
    ),
    "intents/Default Welcome Intent_usersays_zh-cn.json": _says(
        [{"text": "你好", "userDefined": False}], lang="zh-cn"
    ),
    "intents/查询订单.json": _intent(
        "查询订单",
        responses=[{"messages": [{"type": 0, "lang": "zh-cn", "speech": "请提供订单号。"}]}],
    ),
    "intents/查询订单_usersays_zh-cn.json": _says(
        [
            {"text": "我在", "userDefined": False},
            {"text": "上周三", "alias": "date", "meta": "@sys.date", "userDefined": True},
            {"text": "买的", "userDefined": False},
            {"text": "耳机", "alias": "item", "meta": "@product", "userDefined": True},
            {"text": "到哪了", "userDefined": False},
        ],
        lang="zh-cn",
    )
    + _says([{"text": "@sys.date:date 的订单", "userDefined": False}], lang="zh-cn", template=True),
    "intents/查询订单_usersays_en.json": _says(
        [
            {"text": "where are my ", "userDefined": False},
            {"text": "headphones", "alias": "product", "meta": "@product", "userDefined": True},
        ],
    ),
    "intents/Default Fallback Intent.json": _intent(
        "Default Fallback Intent",
        fallbackIntent=True,
        responses=[{"messages": [{"type": "0", "lang": "en", "speech": ["Sorry?"]}]}],
    ),
    "intents/Default Fallback Intent_usersays_en.json": _says(
        [{"text": "what is the meaning of life", "userDefined": False}]
    ),
    "entities/product.json": {
        "id": "e1",
        "name": "product",
        "isOverridable": True,
        "isEnum": False,
        "isRegexp": False,
        "automatedExpansion": False,
    },
    "entities/product_entries_en.json": [
        {"value": "headphones", "synonyms": ["headphones", "earphones", "headset"]}
    ],
    "entities/product_entries_zh-cn.json": [{"value": "耳机", "synonyms": ["耳机", "耳麦"]}],
    "entities/order-id.json": {"id": "e2", "name": "order-id", "isRegexp": True},
    "entities/order-id_entries_en.json": [{"value": "[0-9]{10}", "synonyms": ["[0-9]{10}"]}],
}


def make_dialogflow(root: Path) -> Path:
    for name, data in DIALOGFLOW_FILES.items():
        write(root, name, json.dumps(data, ensure_ascii=False, indent=2))
    return root


def make_dialogflow_zip(root: Path) -> Path:
    path = root / "OrderHelper.zip"
    root.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in DIALOGFLOW_FILES.items():
            archive.writestr(f"OrderHelper/{name}", json.dumps(data, ensure_ascii=False, indent=2))
    return path


def make_paddlenlp(root: Path) -> Path:
    write(root, "label.txt", "天气\n订票\n闲聊\n")
    write(
        root,
        "train.txt",
        "text_a\tlabel\n今天北京天气怎么样\t天气\n帮我订一张去上海的机票\t订票\n"
        "明天会下雨吗\t天气\n这一行没有标签\n你叫什么名字\t闲聊\n",
    )
    write(root, "dev.txt", "后天热不热\t天气\n")
    write(root, "test.txt", "订火车票\t订票\n")
    return root


def make_paddlenlp_multilabel(root: Path) -> Path:
    write(root, "label.txt", "物流\n价格\n质量\n")
    write(
        root,
        "train.txt",
        "快递太慢了而且太贵\t物流,价格\n东西质量不错\t质量\n运费好贵\t价格\n"
        "你好\t\n发货很快\t物流\n",
    )
    return root

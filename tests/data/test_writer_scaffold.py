"""``write_project`` (atomic, deterministic, round-trips) and the ``aimass init`` starter."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aimass.data import (
    ProjectContent,
    init_project,
    load_project,
    starter_content,
    validate_project,
    write_project,
)
from aimass.errors import ProjectError
from aimass.schemas.project import (
    EntitySpan,
    Example,
    Faq,
    Intent,
    KbDocument,
    LookupTable,
    ProfileExample,
    ProfileTag,
    Synonym,
)


@pytest.mark.parametrize("language", ["zh", "en", "both"])
def test_scaffold_validates_clean(tmp_path: Path, language: str) -> None:
    root = init_project(tmp_path / "bot", "demo", language)
    assert validate_project(root) == []
    project = load_project(root)
    assert project.config.name == "demo"
    assert project.config.languages == {"zh": ["zh"], "en": ["en"], "both": ["zh", "en"]}[language]
    assert {"greet", "order_status", "return_item", "human_agent", "oos"} == set(
        project.intent_names()
    )
    assert all(len(i.examples) >= 5 for i in project.intents)
    assert len(project.faqs) == 2 and len(project.kb) == 1 and len(project.profile_tags) == 2
    assert any(e.entities for i in project.intents for e in i.examples)


def test_scaffold_refuses_unknown_language(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as caught:
        init_project(tmp_path / "bot", "demo", "fr")
    assert caught.value.code == "AM103"
    assert not (tmp_path / "bot").exists()


def _content() -> ProjectContent:
    tricky = "see [docs](here) then ship to 深圳"
    return ProjectContent(
        intents=[
            Intent(
                name="ship",
                description="Shipping questions",
                responses={"zh": "我们每天发货", "en": "We ship daily"},
                examples=[
                    Example(
                        text="寄到深圳",
                        entities=[EntitySpan(start=2, end=4, entity="city", value="深圳")],
                    ),
                    Example(
                        text="ship it to NYC",
                        entities=[
                            EntitySpan(
                                start=11,
                                end=14,
                                entity="city",
                                value="NYC",
                                role="destination",
                                normalized="New York City",
                            )
                        ],
                    ),
                    Example(
                        text=tricky,
                        entities=[EntitySpan(start=30, end=32, entity="city", value="深圳")],
                    ),
                    Example(text="[urgent] ship now"),
                    Example(text="yes"),
                ],
            )
        ],
        faqs=[
            Faq(
                id="fee",
                questions=["运费多少", "how much is shipping"],
                answer="满 99 包邮。\n不满 99 元收 8 元。",
                category="shipping",
            )
        ],
        kb=[
            KbDocument(
                id="kb/page.html",
                title="会员权益",
                text="钻石会员优先发货。",
                format="html",
                path="kb/page.html",
            )
        ],
        profile_tags=[ProfileTag(name="vip", description="VIP")],
        profile_examples=[ProfileExample(text="我是会员", tags=["vip"])],
        synonyms=[Synonym(value="深圳", aliases=["SZ"])],
        lookups=[LookupTable(name="city", elements=["北京", "深圳"])],
    )


def test_writer_round_trip(tmp_path: Path) -> None:
    content = _content()
    root = write_project(tmp_path / "out", content, "roundtrip")
    loaded = load_project(root, strict=False)
    assert [(e.text, e.entities) for e in loaded.intents[0].examples] == [
        (e.text, e.entities) for e in content.intents[0].examples
    ]
    assert loaded.intents[0].responses == content.intents[0].responses
    assert loaded.faqs[0].answer == content.faqs[0].answer
    assert [(s.value, s.aliases) for s in loaded.synonyms] == [("深圳", ["SZ"])]
    assert loaded.lookups[0].elements == ["北京", "深圳"]
    assert loaded.profile_pairs() == [("我是会员", ["vip"])]
    assert loaded.kb[0].title == "会员权益" and loaded.kb[0].path == "kb/page.md"
    assert loaded.config.languages == ["zh", "en"]
    text = (root / "data/intents.yaml").read_text(encoding="utf-8")
    assert "- 寄到[深圳](city)" in text  # inline where it reads back exactly
    assert "\\u" not in text  # characters, not escapes
    assert "answer: |" in (root / "data/faq.yaml").read_text(encoding="utf-8")


def test_writer_is_deterministic(tmp_path: Path) -> None:
    first = write_project(tmp_path / "a", _content(), "x")
    second = write_project(tmp_path / "b", _content(), "x")
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert files == [
        "aimass.yaml",
        "data/faq.yaml",
        "data/intents.yaml",
        "data/profile.yaml",
        "data/synonyms.yaml",
        "kb/page.md",
    ]
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    config = yaml.safe_load((first / "aimass.yaml").read_text(encoding="utf-8"))
    assert list(config)[:4] == ["version", "name", "languages", "data"]


def test_writer_refuses_non_empty_folder_and_overwrites_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        write_project(target, _content(), "x")
    assert caught.value.code == "AM122"
    assert (target / "keep.txt").exists()
    write_project(target, _content(), "x", overwrite=True)
    assert not (target / "keep.txt").exists()
    assert (target / "aimass.yaml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging leftovers
    empty = tmp_path / "empty"
    empty.mkdir()
    write_project(empty, _content(), "x")  # an empty folder is fine
    assert (empty / "aimass.yaml").exists()


def test_writer_keeps_a_given_config(tmp_path: Path) -> None:
    project = load_project(init_project(tmp_path / "bot", "demo", "en"))
    project.config = project.config.model_copy(update={"min_examples_per_intent": 3})
    copy = write_project(tmp_path / "copy", project)  # a BotProject brings its own config
    reloaded = load_project(copy)
    assert reloaded.config.min_examples_per_intent == 3
    assert reloaded.config.name == "demo"
    assert reloaded.intent_examples() == project.intent_examples()


def test_starter_content_is_plain_content() -> None:
    content = starter_content("both")
    assert content.faqs[0].answers.keys() == {"zh", "en"}

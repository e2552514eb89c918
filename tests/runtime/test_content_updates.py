"""FAQs and knowledge-base documents change without retraining: searchable at once, kept
across a reload, and never half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aimass.errors import ArtifactError, InputError
from aimass.runtime.assistant import Assistant
from aimass.schemas import Faq, KbDocument

RETURNS_MD = """# 退货退款政策

## 七天无理由退货

签收后 7 天内，商品完好即可申请无理由退货。定制商品除外。

## Refund timing

Refunds reach your original payment method within 3 to 5 working days after we receive the item.
"""


@pytest.fixture
def artifact(runtime_artifact: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(runtime_artifact, copy)
    return copy


def test_added_faq_is_found_at_once_and_after_reload(artifact: Path) -> None:
    bot = Assistant.load(artifact)
    faq = Faq(
        id="gift-card", questions=["礼品卡怎么用", "how do I use a gift card"], answer="Scan it."
    )
    bot.upsert_faq(faq)
    (top, *_) = bot.search_faqs("礼品卡怎么用")
    assert top.faq_id == "gift-card" and top.matched_question == "礼品卡怎么用"
    # the words the two share are highlighted on the right characters
    assert "礼品卡" in "".join(
        top.matched_question[h.start : h.end] for h in top.matched_highlights
    )
    again = Assistant.load(artifact)
    assert again.search_faqs("how do I use a gift card")[0].faq_id == "gift-card"


def test_edited_and_deleted_faqs_persist(artifact: Path) -> None:
    bot = Assistant.load(artifact)
    bot.upsert_faq(Faq(id="payment-huabei", questions=["可以用花呗吗"], answer="可以，支持花呗。"))
    r = bot.respond("可以用花呗吗")
    assert r.faqs[0].faq_id == "payment-huabei" and r.faqs[0].answer == "可以，支持花呗。"
    assert bot.delete_faq("shipping-time") and not bot.delete_faq("shipping-time")
    again = Assistant.load(artifact)
    ids = {f.faq_id for f in again.search_faqs("how long does shipping take", k=10)}
    assert "shipping-time" not in ids and "payment-huabei" in ids
    stored = json.loads((artifact / "content" / "faqs.json").read_text(encoding="utf-8"))
    assert {f["id"] for f in stored} == {"return-policy", "payment-huabei"}


def test_documents_are_split_searched_and_linked(artifact: Path) -> None:
    bot = Assistant.load(artifact)
    doc = KbDocument(
        id="returns", title="退货退款政策", text=RETURNS_MD, format="md", path="kb/returns.md"
    )
    assert bot.upsert_document(doc) >= 2
    (hit, *_) = bot.search_kb("七天无理由退货有什么条件")
    assert hit.doc_id == "returns"
    assert hit.source == "kb/returns.md#七天无理由退货"
    assert hit.section and "七天无理由退货" in hit.section
    assert hit.highlights and hit.text[hit.highlights[0].start : hit.highlights[0].end]
    assert hit.best_sentence is not None
    assert "7 天内" in hit.text[hit.best_sentence.start : hit.best_sentence.end]
    en = bot.search_kb("when do I get my refund")[0]
    assert "Refund" in (en.section or "")
    r = bot.respond("七天无理由退货有什么条件")
    assert r.kb and r.kb[0].doc_id == "returns"
    assert bot.delete_document("returns")
    assert Assistant.load(artifact).search_kb("七天无理由退货") == []


def test_bad_content_is_refused_and_nothing_is_lost(artifact: Path) -> None:
    bot = Assistant.load(artifact)
    with pytest.raises(InputError) as err:
        bot.upsert_faq(Faq(id="empty", questions=[], answer="x"))
    assert err.value.code == "AM107"
    assert not (artifact / "content" / "faqs.json").exists()  # nothing written for a refusal
    bot.upsert_faq(Faq(id="ok", questions=["ok?"], answer="ok"))
    # no temporary files are left beside the content
    assert not [p for p in (artifact / "content").iterdir() if p.name.endswith(".tmp")]
    (artifact / "content" / "faqs.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ArtifactError) as bad:
        Assistant.load(artifact)
    assert bad.value.code == "AM402" and "faqs.json" in str(bad.value)


def test_duplicate_check_finds_the_faq_a_new_question_repeats(artifact: Path) -> None:
    bot = Assistant.load(artifact)
    dupes = bot.find_duplicates("你们支持花呗吗", threshold=0.0)
    assert dupes and dupes[0].faq_id == "payment-huabei"
    assert bot.find_duplicates("你们支持花呗吗", threshold=1.01) == []


def test_search_command_prints_faqs_and_passages(artifact: Path) -> None:
    from typer.testing import CliRunner

    from aimass.cli.main import app

    bot = Assistant.load(artifact)
    doc = KbDocument(
        id="returns", title="退货退款政策", text=RETURNS_MD, format="md", path="kb/returns.md"
    )
    bot.upsert_document(doc)
    runner = CliRunner()
    out = runner.invoke(app, ["search", "你们支持花呗吗", "-m", str(artifact), "--json", "-k", "2"])
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    assert hits[0]["faq_id"] == "payment-huabei" and len(hits) == 2
    out = runner.invoke(app, ["search", "七天无理由退货", "-m", str(artifact), "--kb"])
    assert out.exit_code == 0 and "kb/returns.md#七天无理由退货" in out.output
    out = runner.invoke(app, ["search", "", "-m", str(artifact)])
    assert out.exit_code != 0 and "AM600" in out.output


def test_an_artifact_with_a_dense_mix_serves_and_edits_with_it(artifact: Path) -> None:
    # what `aimass bench faq` writes for an English bank: MiniLM's cosine mixed into the dense leg
    cal_path = artifact / "calibration.json"
    cal = json.loads(cal_path.read_text(encoding="utf-8"))
    cal["faq_dense_mix"] = {"expert": "minilm", "weight": 0.5}
    cal_path.write_text(json.dumps(cal), encoding="utf-8")
    bot = Assistant.load(artifact)
    width = bot.predictor.embed(["x"]).shape[1]
    assert bot.faq_index.index.dense is not None
    assert bot.faq_index.index.dense.vectors_at([0]).shape[1] == width + 384
    r = bot.respond("how long will shipping take")  # query vectors are mixed the same way
    assert r.faqs[0].faq_id == "shipping-time"
    bot.upsert_faq(Faq(id="gift-card", questions=["how do I redeem a gift card"], answer="Scan."))
    assert bot.search_faqs("redeem my gift card")[0].faq_id == "gift-card"
    # the mixed vectors are cached apart from the model's own
    assert list((artifact / "content").glob("vectors-query-minilm0.5-*.npz"))

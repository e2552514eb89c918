"""Saving and loading the torch model inside an artifact directory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch

from aimass.errors import ArtifactError
from aimass.heads import build_head
from aimass.model.artifact import ArtifactFiles, file_digest, read_artifact, write_json
from aimass.model.multitask import MultiTaskModel
from aimass.model.textenc import TextEncoder

if TYPE_CHECKING:
    from transformers import PreTrainedModel

log = logging.getLogger(__name__)


def write_model(model: MultiTaskModel, tokenizer: Any, tmp_dir: Path) -> str:
    """Write encoder config, tokenizer, heads.json and weights into ``tmp_dir`` (the
    not-yet-renamed artifact folder); return the model version (a digest of the weights)."""
    from safetensors.torch import save_file

    enc_dir = tmp_dir / "encoder"
    enc_dir.mkdir(parents=True, exist_ok=True)
    cast("PreTrainedModel", model.encoder).config.save_pretrained(enc_dir)
    tokenizer.save_pretrained(enc_dir)
    write_json(tmp_dir / "heads.json", model.head_specs())
    state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(state, str(tmp_dir / "model.safetensors"), metadata={"format": "pt"})
    return file_digest(tmp_dir / "model.safetensors")


def build_encoder_from_config(enc_dir: Path) -> torch.nn.Module:
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(enc_dir, local_files_only=True)
    try:
        return AutoModel.from_config(config, add_pooling_layer=False)
    except TypeError:  # families without a pooler argument
        return AutoModel.from_config(config)


def load_tokenizer(enc_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(enc_dir, local_files_only=True, use_fast=True)


def load_model(path: Path) -> tuple[MultiTaskModel, TextEncoder, ArtifactFiles]:
    """Rebuild the model exactly as saved; any mismatch is an error, never a fresh model."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    files = read_artifact(path)
    encoder = build_encoder_from_config(path / "encoder")
    heads = {name: build_head(spec) for name, spec in files.heads.items()}
    model = MultiTaskModel(encoder, heads)
    try:
        state = load_file(str(path / "model.safetensors"))
    except (SafetensorError, OSError) as e:
        raise ArtifactError(
            f"model weights cannot be read: {e}",
            code="AM402",
            file=str(path / "model.safetensors"),
            hint="the file is corrupt or truncated; train again or restore a backup",
        ) from None
    missing, unexpected = model.load_state_dict(state, strict=False)
    # Position-id buffers are recreated by transformers and may be absent from the file.
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ArtifactError(
            f"model weights do not match the saved architecture "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})",
            code="AM402",
            file=str(path / "model.safetensors"),
            hint="the artifact was altered or mixed with another; train again",
        )
    model.eval()
    tokenizer = load_tokenizer(path / "encoder")
    train_cfg = files.config.get("train", {})
    backbone = files.manifest.get("backbone", {})
    enc = TextEncoder(
        tokenizer,
        query_prefix=backbone.get("query_prefix", ""),
        passage_prefix=backbone.get("passage_prefix", ""),
        max_length=int(train_cfg.get("max_length", 64)),
        max_pair_length=int(train_cfg.get("max_pair_length", 96)),
    )
    return model, enc, files

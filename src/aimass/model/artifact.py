"""A trained model on disk: a directory that is complete or absent, never half-written.

Layout (format version 1)::

    ARTIFACT/
      aimass-artifact.json   format name + version (checked on load), AI Mass version, tasks,
                             backbone conventions (prefixes), model version (weights hash)
      config.json            the resolved run config (training + project behaviour)
      encoder/               the encoder's Hugging Face config and (possibly trimmed) tokenizer
      model.safetensors      all weights: ``encoder.*`` and ``heads.<task>.*``
      heads.json             how to rebuild each head (registered name + arguments)
      labels.json            intents and profile tags, in head order
      metrics.json           dev metrics of the selected checkpoint, per task
      calibration.json       temperatures and thresholds fitted on dev (used in production)
      runtime.json           what the runtime answers with: FAQs, intent responses, replies

No pickle anywhere: tensors in safetensors, everything else JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aimass import __version__
from aimass.errors import ArtifactError

FORMAT_NAME = "aimass-artifact"
FORMAT_VERSION = 1
MANIFEST = "aimass-artifact.json"
REQUIRED = ("config.json", "heads.json", "labels.json", "model.safetensors", "encoder/config.json")
# The manifest's "model_format" says how the weights are stored and which runtime serves
# them: "torch" (the default, safetensors) or "onnx" (``aimass compress``, served without
# torch; see aimass.compress.layout).
REQUIRED_BY_FORMAT = {
    "torch": REQUIRED,
    "onnx": ("config.json", "heads.json", "labels.json", "model.onnx", "onnx.json",
             "encoder/tokenizer.json"),
}  # fmt: skip


@dataclass
class ArtifactFiles:
    """The JSON parts of an artifact (weights and tokenizer are handled by the model loader)."""

    manifest: dict[str, Any]
    config: dict[str, Any]
    heads: dict[str, dict[str, Any]]
    labels: dict[str, list[str]]
    metrics: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    runtime: dict[str, Any] = field(default_factory=dict)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"artifact file {path.name} is missing",
            code="AM402",
            file=str(path),
            hint="the artifact is incomplete; train again or copy the whole directory",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ArtifactError(
            f"artifact file {path.name} is corrupt: {e}",
            code="AM402",
            file=str(path),
            hint="train again or restore the artifact from a backup",
        ) from None


def check_artifact(path: Path) -> dict[str, Any]:
    """Validate the manifest and required files; return the manifest."""
    path = Path(path)
    if not path.is_dir():
        raise ArtifactError(
            f"no artifact at {path}",
            code="AM400",
            hint="train one with `aimass train PROJECT --out DIR`, or pass the right path",
        )
    manifest = read_json(path / MANIFEST)
    if manifest.get("format") != FORMAT_NAME or not isinstance(manifest.get("format_version"), int):
        raise ArtifactError(
            f"{path} is not an AI Mass artifact (manifest format {manifest.get('format')!r})",
            code="AM401",
            hint="pass a directory written by `aimass train`",
        )
    if manifest["format_version"] > FORMAT_VERSION:
        raise ArtifactError(
            f"artifact format version {manifest['format_version']} is newer than this AI Mass "
            f"({__version__}) can read (up to {FORMAT_VERSION})",
            code="AM401",
            hint="upgrade aimass (pip install -U aimass) or retrain with this version",
        )
    model_format = manifest.get("model_format", "torch")
    if model_format not in REQUIRED_BY_FORMAT:
        raise ArtifactError(
            f"artifact model format {model_format!r} is unknown to this AI Mass ({__version__})",
            code="AM401",
            hint="upgrade aimass (pip install -U aimass)",
        )
    for rel in REQUIRED_BY_FORMAT[model_format]:
        if not (path / rel).exists():
            raise ArtifactError(
                f"artifact is incomplete: {rel} is missing",
                code="AM402",
                file=str(path / rel),
                hint="train again or copy the whole artifact directory",
            )
    return dict(manifest)


def model_format_of(path: Path) -> str:
    """``"torch"`` or ``"onnx"`` from the manifest, cheaply; ``"torch"`` when the manifest
    cannot be read (the loader then reports the coded error)."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
        return str(manifest.get("model_format", "torch"))
    except (OSError, ValueError, AttributeError):
        return "torch"


def read_artifact(path: Path) -> ArtifactFiles:
    path = Path(path)
    manifest = check_artifact(path)

    def optional(name: str) -> dict[str, Any]:
        return dict(read_json(path / name)) if (path / name).exists() else {}

    return ArtifactFiles(
        manifest=manifest,
        config=read_json(path / "config.json"),
        heads=read_json(path / "heads.json"),
        labels=read_json(path / "labels.json"),
        metrics=optional("metrics.json"),
        calibration=optional("calibration.json"),
        runtime=optional("runtime.json"),
    )


def write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False), encoding="utf-8"
    )


def file_digest(path: Path, n: int = 16) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:n]


class AtomicDirectory:
    """Write a directory next to its destination, then move it into place in one rename.

    A crash while writing leaves only a ``.tmp-*`` sibling (ignored, cleaned next time),
    never a half-written artifact under the real name. Replacing an existing artifact
    renames the old one aside first and deletes it only after the new one is in place.
    """

    def __init__(self, dest: Path) -> None:
        self.dest = Path(dest).absolute()
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{self.dest.name}-", dir=self.dest.parent))
        return self.tmp

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self.tmp is not None
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        old: Path | None = None
        if self.dest.exists():
            old = self.dest.with_name(f".old-{self.dest.name}-{os.getpid()}-{int(time.time())}")
            os.replace(self.dest, old)
        os.replace(self.tmp, self.dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def new_manifest(
    *, tasks: list[str], backbone: dict[str, Any], model_version: str
) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "aimass_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tasks": tasks,
        "backbone": backbone,
        "model_version": model_version,
    }

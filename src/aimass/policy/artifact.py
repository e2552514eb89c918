"""A project's policy inside a trained artifact, and replacing it without retraining.

The policy travels in the artifact's ``runtime.json`` (key ``policy``), resolved: word-list
files are inlined, so the artifact is self-contained and the service never reads the project.
Rules change more often than the model; ``apply_policy`` swaps them in place (an atomic
rewrite of ``runtime.json``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from aimass.errors import ArtifactError
from aimass.policy.config import POLICY_FILE
from aimass.policy.load import load_policy_config, resolved

__all__ = ["apply_policy", "artifact_policy", "project_policy"]


def project_policy(project_root: Path) -> dict[str, Any] | None:
    """The project's ``policy.yaml``, validated and resolved; ``None`` when there is none.
    Raises ``ValidationFailed`` (every problem, AM13x) when the file is invalid."""
    path = Path(project_root) / POLICY_FILE
    if not path.is_file():
        return None
    return resolved(load_policy_config(path))


def artifact_policy(artifact: Path) -> dict[str, Any] | None:
    runtime = _read_runtime(Path(artifact))
    policy = runtime.get("policy")
    return dict(policy) if isinstance(policy, dict) else None


def apply_policy(project_root: Path, artifact: Path) -> dict[str, Any] | None:
    """Put the project's current policy into ``artifact`` (removing it when the project has
    none); returns what was stored."""
    from aimass.model.artifact import check_artifact

    artifact = Path(artifact)
    check_artifact(artifact)
    policy = project_policy(project_root)
    runtime = _read_runtime(artifact)
    if policy is None:
        runtime.pop("policy", None)
    else:
        runtime["policy"] = policy
    fd, tmp = tempfile.mkstemp(prefix=".runtime-", suffix=".json", dir=artifact)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(runtime, f, ensure_ascii=False, indent=2)
        os.replace(tmp, artifact / "runtime.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return policy


def _read_runtime(artifact: Path) -> dict[str, Any]:
    path = artifact / "runtime.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ArtifactError(
            f"artifact file runtime.json is corrupt: {e}",
            code="AM402",
            file=str(path),
            hint="train again or restore the artifact from a backup",
        ) from None
    return dict(data)

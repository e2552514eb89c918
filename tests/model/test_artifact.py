"""Artifacts: a format version that loading checks, clear errors for what is wrong, and
atomic writing (a crash leaves the old artifact or nothing, never half of one)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from aimass.errors import ArtifactError
from aimass.model.artifact import FORMAT_VERSION, AtomicDirectory, check_artifact
from aimass.model.io import load_model
from aimass.training.data import IntentData, TaskData
from aimass.training.save import save_artifact
from aimass.training.trainer import train
from modelkit import INTENT_ROWS, tiny_config


@pytest.fixture(scope="module")
def artifact(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    data = TaskData(intent=IntentData([t for t, _ in INTENT_ROWS], [lab for _, lab in INTENT_ROWS]))
    result = train(data, tiny_config(tiny_backbones("bert"), epochs=2), data, progress=False)
    path = tmp_path_factory.mktemp("art") / "model"
    save_artifact(result, path, config={"train": {"max_length": 64}})
    return path


def copy_of(src: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(src, dest)
    return dest


def test_artifact_has_everything_and_no_pickle(artifact: Path) -> None:
    names = {p.relative_to(artifact).as_posix() for p in artifact.rglob("*") if p.is_file()}
    for required in (
        "aimass-artifact.json",
        "config.json",
        "model.safetensors",
        "heads.json",
        "labels.json",
        "metrics.json",
        "calibration.json",
        "encoder/config.json",
    ):
        assert required in names
    assert not [n for n in names if n.endswith((".bin", ".pkl", ".pt", ".pickle"))]
    manifest = json.loads((artifact / "aimass-artifact.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["tasks"] == ["intent"]


def test_newer_format_is_refused(artifact: Path, tmp_path: Path) -> None:
    path = copy_of(artifact, tmp_path / "newer")
    manifest = json.loads((path / "aimass-artifact.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (path / "aimass-artifact.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError) as err:
        load_model(path)
    assert err.value.code == "AM401"
    assert "upgrade" in (err.value.hint or "")


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "aimass-artifact.json").write_text('{"format": "something-else"}')
    with pytest.raises(ArtifactError) as err:
        check_artifact(tmp_path / "x")
    assert err.value.code == "AM401"


def test_missing_and_corrupt_parts(artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as err:
        load_model(tmp_path / "nowhere")
    assert err.value.code == "AM400"

    path = copy_of(artifact, tmp_path / "no-heads")
    (path / "heads.json").unlink()
    with pytest.raises(ArtifactError) as err:
        load_model(path)
    assert err.value.code == "AM402"

    path = copy_of(artifact, tmp_path / "truncated")
    data = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactError) as err:
        load_model(path)
    assert err.value.code == "AM402"

    path = copy_of(artifact, tmp_path / "bad-json")
    (path / "labels.json").write_text("{not json")
    with pytest.raises(ArtifactError) as err:
        load_model(path)
    assert err.value.code == "AM402"


def test_atomic_directory_leaves_nothing_on_failure(tmp_path: Path) -> None:
    dest = tmp_path / "model"
    with pytest.raises(RuntimeError), AtomicDirectory(dest) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("crash while writing")
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_directory_replaces_old_only_when_new_is_complete(tmp_path: Path) -> None:
    dest = tmp_path / "model"
    with AtomicDirectory(dest) as tmp:
        (tmp / "v").write_text("1")
    with pytest.raises(RuntimeError), AtomicDirectory(dest) as tmp:
        (tmp / "v").write_text("2")
        raise RuntimeError("crash")
    assert (dest / "v").read_text() == "1"  # the old artifact survives a failed rewrite
    with AtomicDirectory(dest) as tmp:
        (tmp / "v").write_text("3")
    assert (dest / "v").read_text() == "3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]

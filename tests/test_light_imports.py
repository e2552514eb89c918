"""`import aimass` and `aimass --help` must not import torch, transformers, onnxruntime or
fastapi: the CLI starts fast and the core installs light (checked in a fresh subprocess)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "transformers", "onnxruntime", "fastapi", "sklearn", "tokenizers")


def heavy_modules_after(code: str) -> list[str]:
    probe = f"""
import sys
{code}
print("heavy:" + ",".join(m for m in {HEAVY!r} if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("heavy:")][-1]
    return [m for m in line.removeprefix("heavy:").split(",") if m]


def test_import_aimass_is_light() -> None:
    assert (
        heavy_modules_after(
            "import aimass, aimass.errors, aimass.config, aimass.schemas, aimass.runtime"
        )
        == []
    )


def test_cli_help_is_light() -> None:
    code = """
from typer.testing import CliRunner
from aimass.cli.main import app
result = CliRunner().invoke(app, ["--help"])
assert result.exit_code == 0, result.output
assert "bench" in result.output and "validate" in result.output
"""
    assert heavy_modules_after(code) == []


def test_validate_is_light(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = f"""
from aimass.data.scaffold import init_project
from aimass.data.project import validate_project
init_project({str(tmp_path / "bot")!r}, name="bot", language="both")
assert [p for p in validate_project({str(tmp_path / "bot")!r}) if p.severity.value == "error"] == []
"""
    assert heavy_modules_after(code) == []

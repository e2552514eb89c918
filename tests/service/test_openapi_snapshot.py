"""The published API surface is deliberate: every operation (method, path, parameters,
request/response models) and the fields of the service's own models match the committed
snapshot. After an
intended change, regenerate it with ``AIMASS_UPDATE_SNAPSHOTS=1 pytest tests/service``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aimass.service.app import create_app
from aimass.service.settings import Settings

SNAPSHOT = Path(__file__).parent / "openapi-snapshot.json"


def surface(spec: dict[str, Any]) -> dict[str, Any]:
    def ref(schema: dict[str, Any] | None) -> str | None:
        if not schema:
            return None
        if "$ref" in schema:
            return schema["$ref"].rsplit("/", 1)[-1]
        if schema.get("type") == "array":
            return f"list[{ref(schema.get('items'))}]"
        if "anyOf" in schema:
            return " | ".join(str(ref(s) or s.get("type")) for s in schema["anyOf"])
        return schema.get("type")

    ops = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok = next((c for c in op["responses"] if c.startswith("2")), None)
            out = op["responses"].get(ok, {}).get("content", {}).get("application/json", {})
            params = sorted(f"{p['in']}:{p['name']}" for p in op.get("parameters", []))
            ops[f"{method.upper()} {path}"] = {
                "params": params,
                "body": ref(body.get("schema")),
                "ok": ok,
                "returns": ref(out.get("schema")),
            }
    from pydantic import BaseModel

    import aimass.service.schemas as own

    # the service's own request/response models; the runtime's records (Decision, FaqMatch…)
    # belong to the runtime and grow with it
    mine = {
        n
        for n, v in vars(own).items()
        if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == own.__name__
    }
    models = {
        name: sorted(schema.get("properties", {}))
        for name, schema in spec.get("components", {}).get("schemas", {}).items()
        if name in mine
    }
    return {"operations": dict(sorted(ops.items())), "models": dict(sorted(models.items()))}


def test_the_api_surface_matches_the_snapshot(artifact: Path, tmp_path: Path) -> None:
    app = create_app(Settings(model=str(artifact), database_url=f"sqlite:///{tmp_path / 's.db'}"))
    current = surface(app.openapi())
    if os.environ.get("AIMASS_UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())

"""Service settings, read from ``AIMASS_*`` environment variables (validated by pydantic)."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aimass.errors import ServiceError

ENV_PREFIX = "AIMASS_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = ""  # artifact folder (AIMASS_MODEL)
    database_url: str = ""  # empty: SQLite at $AIMASS_HOME/service.db
    cors_origins: list[str] = Field(default_factory=list)  # comma-separated in the environment
    max_body_bytes: int = Field(65536, ge=1024)
    max_text_chars: int = Field(2000, ge=1, le=100000)
    rate_per_minute: float = Field(600.0, gt=0)  # per key, sustained
    rate_burst: int = Field(60, ge=1)  # per key, at once
    batch_max_size: int = Field(32, ge=1, le=1024)
    batch_max_wait_ms: float = Field(5.0, ge=0, le=1000)
    review_below: float = Field(0.5, ge=0, le=1)  # top intent confidence under this: labelling
    anonymous_client: bool = False  # client-scope requests without a key (public widget, demo)
    model_threads: int | None = None
    content_poll_s: float = Field(2.0, ge=0)  # how often to pick up other servers' edits
    # A promoted FAQ ranking policy (`aimass learn`) explores within its caps and the turn
    # stores each choice's propensity; off: it always shows its best FAQ.
    explore: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **over: Any) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is None or raw == "":
                continue
            if name == "cors_origins":
                values[name] = [o.strip() for o in raw.split(",") if o.strip()]
            elif field.annotation is bool:
                values[name] = raw.strip().lower() in ("1", "true", "yes", "on")
            else:
                values[name] = raw
        values.update({k: v for k, v in over.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ServiceError(
                f"setting {ENV_PREFIX}{where.upper()} is invalid: {first['msg']}",
                code="AM805",
                hint="fix the environment variable",
            ) from None

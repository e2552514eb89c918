"""The served model and its atomic reload.

A reload loads the new ``Assistant`` completely first and only then swaps the reference; a
batch already running holds the old object and finishes on it. A failed load leaves the old
model serving.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from aimass.errors import AimassError, ServiceError

log = logging.getLogger("aimass.service")


class ModelHolder:
    def __init__(
        self,
        assistant: Any,
        path: str | Path | None = None,
        threads: int | None = None,
        *,
        explore: bool = True,
    ):
        self._assistant = assistant
        self.path = str(path) if path else ""
        self.threads = threads
        self.explore = explore
        self._lock = threading.Lock()  # one reload at a time

    @property
    def current(self) -> Any:
        return self._assistant

    @property
    def version(self) -> str:
        return str(getattr(self._assistant, "model_version", ""))

    def reload(self, path: str | None = None) -> Any:
        from aimass.runtime.assistant import Assistant

        target = path or self.path
        if not target:
            raise ServiceError("no model path to reload from", code="AM808", hint="pass a path")
        with self._lock:
            try:
                new = Assistant.load(Path(target), threads=self.threads, explore=self.explore)
            except AimassError as e:
                raise ServiceError(
                    f"the new model cannot be loaded ({e.code}: {e.message}); "
                    "the previous model keeps serving",
                    code="AM808",
                    hint=e.hint or "check the artifact folder",
                ) from e
            except Exception as e:
                log.exception("model reload from %s failed", target)
                raise ServiceError(
                    "the new model cannot be loaded; the previous model keeps serving",
                    code="AM808",
                    hint="check the artifact folder; the server log has the details",
                ) from e
            self._assistant = new  # one reference assignment: atomic for readers
            self.path = str(target)
            return new

"""The bot's editable content (FAQs, knowledge-base documents), persisted beside the model.

Training copies the project's FAQs and documents into the artifact (``runtime.json``); after
that, teams edit them without retraining. Edits land in ``<artifact>/content/`` (or the folder
``AIMASS_CONTENT_DIR`` names, for a read-only artifact), each file replaced atomically, and
win over the trained copy when the assistant loads. Embeddings are cached there too, keyed by
text and model version, so a reload re-embeds only what changed.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from aimass.schemas import Faq, KbDocument


def content_dir_for(artifact: Path) -> Path:
    override = os.environ.get("AIMASS_CONTENT_DIR")
    return Path(override) if override else Path(artifact) / "content"


class ContentStore:
    FAQS = "faqs.json"
    KB = "kb.json"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    def vectors_path(self, model_version: str, kind: str) -> Path:
        return self.root / f"vectors-{kind}-{model_version or 'unversioned'}.npz"

    # ------------------------------------------------------------------ reading

    def faqs(self) -> list[Faq] | None:
        data = self._read(self.FAQS)
        return None if data is None else [Faq.model_validate(f) for f in data]

    def kb(self) -> list[KbDocument] | None:
        data = self._read(self.KB)
        return None if data is None else [KbDocument.model_validate(d) for d in data]

    def _read(self, name: str) -> list[dict[str, Any]] | None:
        path = self.root / name
        if not path.exists():
            return None
        from aimass.errors import ArtifactError

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ArtifactError(
                f"the edited content file {path} cannot be read: {e}",
                code="AM402",
                hint="restore it from a backup, or delete it to fall back to the trained content",
            ) from e
        return list(data)

    # ------------------------------------------------------------------ writing

    def write_faqs(self, faqs: list[Faq]) -> None:
        self._write(self.FAQS, [f.model_dump(exclude={"source"}) for f in faqs])

    def write_kb(self, docs: list[KbDocument]) -> None:
        self._write(self.KB, [d.model_dump() for d in docs])

    def _write(self, name: str, data: list[dict[str, Any]]) -> None:
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, ensure_ascii=False, indent=1)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.root / name)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)

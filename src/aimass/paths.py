"""Where AI Mass keeps files that are derived, not authored: the backbone cache.

Kept free of heavy imports (stdlib only) because the CLI and ``aimass validate`` resolve
paths without ever touching torch. Nothing here creates a folder: the code that writes
into a folder creates it, so merely asking where the cache is has no side effect.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["aimass_home", "backbones_dir"]


def aimass_home() -> Path:
    """The root of AI Mass's cache: ``$AIMASS_HOME``, else ``$XDG_CACHE_HOME/aimass``,
    else ``~/.cache/aimass``.

    The environment is read on every call (not once at import) so that tests and
    multi-tenant servers can point different runs at different caches.
    """
    env = os.environ.get("AIMASS_HOME", "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "aimass"


def backbones_dir() -> Path:
    """Folder holding converted backbones, one sub-folder per name (``e5-small``)."""
    return aimass_home() / "backbones"

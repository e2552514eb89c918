"""Validated configuration: the bot project's ``aimass.yaml`` and the training run config.

One config describes a whole run and is saved, resolved, inside every artifact. Unknown keys
are errors (``extra="forbid"``): a typo must not silently become a default.
"""

from __future__ import annotations

from aimass.config.project import DataFiles, ProjectConfig, Replies, Thresholds
from aimass.config.training import TrainConfig

__all__ = ["DataFiles", "ProjectConfig", "Replies", "Thresholds", "TrainConfig"]

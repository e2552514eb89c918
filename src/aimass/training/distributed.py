"""Running the same training loop under ``torchrun`` (DDP, gloo on CPU).

Every rank builds the same batch plan from the same seed and trains on its own slice of
each batch (rows ``rank::world``); DDP averages the gradients, so an update equals one
single-process step over the whole batch. Only rank 0 writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aimass.errors import TrainingError


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def setup() -> DistInfo:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    if not dist.is_initialized():
        try:
            dist.init_process_group("gloo", timeout=timedelta(minutes=10))
        except Exception as e:  # the launcher's environment is wrong: say so plainly
            raise TrainingError(
                f"distributed training could not start: {e}",
                code="AM502",
                hint="launch with `torchrun --nproc-per-node N -m aimass.cli.main train ...`",
            ) from None
    return DistInfo(rank=dist.get_rank(), world=dist.get_world_size())


def shard(rows: list[Any], info: DistInfo) -> list[Any]:
    return rows[info.rank :: info.world] if info.enabled else rows


def wrap(model: Any, info: DistInfo) -> Any:
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    # Each batch uses one task's head, so the other heads get no gradient in that step.
    return DistributedDataParallel(model, find_unused_parameters=True)


def broadcast_flag(flag: bool, info: DistInfo) -> bool:
    """Rank 0 decides (e.g. to stop early); every rank follows."""
    if not info.enabled:
        return flag
    import torch
    import torch.distributed as dist

    t = torch.tensor([1 if flag else 0])
    dist.broadcast(t, src=0)
    return bool(t.item())


def cleanup(info: DistInfo) -> None:
    if info.enabled:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()

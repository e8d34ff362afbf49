"""The train state every trainer builds on."""
from __future__ import annotations

from typing import Any

from flax.training import train_state


class TrainState(train_state.TrainState):
    """Flax TrainState plus BatchNorm running statistics (``batch_stats``)."""
    batch_stats: Any = None

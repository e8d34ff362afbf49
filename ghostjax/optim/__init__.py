"""Optimizers: the one factory, pruning as an optax wrapper, weight clipping, L1/L2 penalties."""
from ghostjax.optim.factory import create_optimizer, decay_mask, learning_rate_schedule
from ghostjax.optim.transforms import clip_weights, l1_penalty, l2_penalty

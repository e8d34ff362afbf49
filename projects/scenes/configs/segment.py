"""GhostNet 1.0x + Ghost FPN + segmentation head on Fashion-MNIST scenes: segmentation alone.

  python -m train.dense_prediction --config projects/scenes/configs/segment.py \
      --workdir runs/scenes_segment

Measured: results/scenes_segment.json and _s1, _s2 (the table in projects/scenes/README.md).
"""
from projects.scenes.configs import multitask as scenes_multitask


def get_config():
    c = scenes_multitask.get_config()
    c.model.tasks = ('segment',)
    c.loss_weights = {'segment': 1.0}
    return c

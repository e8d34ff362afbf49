"""GhostNet 1.0x + Ghost FPN + FCOS head on Fashion-MNIST scenes: detection alone.

  python -m train.dense_prediction --config projects/scenes/configs/detect.py \
      --workdir runs/scenes_detect

Measured: results/scenes_detect.json and _s1, _s2 (the table in projects/scenes/README.md).
"""
from projects.scenes.configs import multitask as scenes_multitask


def get_config():
    c = scenes_multitask.get_config()
    c.model.tasks = ('detect',)
    c.loss_weights = {'detect': 1.0}
    return c

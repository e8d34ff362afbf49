"""GhostNet 1.0x + Ghost FPN + FCOS head on Fashion-MNIST scenes: detection alone.

  python -m train.dense_prediction --config projects/scenes/configs/detect.py --workdir runs/scenes_detect \
      --results results/scenes_detect.json

Scores: results/scenes_detect.json (the README's and projects/scenes/README.md's scenes table).
"""
from projects.scenes.configs import multitask as scenes_multitask


def get_config():
    c = scenes_multitask.get_config()
    c.model.tasks = ('detect',)
    c.loss_weights = {'detect': 1.0}
    return c

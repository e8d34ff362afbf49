"""GhostNet 1.0x + Ghost FPN + FCOS head on Fashion-MNIST scenes: detection alone.

  python -m train.dense_prediction --config configs/scenes_detect.py --workdir runs/scenes_detect \
      --results results/scenes_detect.json

Scores: results/scenes_detect.json (the README's and docs/dense.md's scenes table).
"""
from configs import scenes_multitask


def get_config():
    c = scenes_multitask.get_config()
    c.model.tasks = ('detect',)
    c.loss_weights = {'detect': 1.0}
    return c

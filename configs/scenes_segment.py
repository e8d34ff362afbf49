"""GhostNet 1.0x + Ghost FPN + segmentation head on Fashion-MNIST scenes: segmentation alone.

  python -m train.dense_prediction --config configs/scenes_segment.py --workdir runs/scenes_segment \
      --results results/scenes_segment.json

Scores: results/scenes_segment.json (the README's and docs/dense.md's scenes table).
"""
from configs import scenes_multitask


def get_config():
    c = scenes_multitask.get_config()
    c.model.tasks = ('segment',)
    c.loss_weights = {'segment': 1.0}
    return c

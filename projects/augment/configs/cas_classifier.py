"""The Classification Accuracy Score's classifier: the extractor recipe (GhostNet 0.5x, one
epoch of 60,000 images at batch 128), trained on generated images (or, for the ceiling, the
real train split) and tested on the real test split. Run by the augmentation study:

  python -m projects.augment.main --config projects/augment/configs/study.py \
      --workdir runs/augment --config.parts=cas
"""
from configs import ghostnet_extractor


def get_config():
    c = ghostnet_extractor.get_config()
    c.eval_split = c.test_split = 'test'
    return c

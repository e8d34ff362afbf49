"""The augmentation study's classifier: GhostNet 0.5x on a labelled subset of Fashion-MNIST (100
images per class, a fifth of them held out for validation), 500 steps at batch 128, optionally
with images from a class-conditional GAN mixed into every batch (`synthetic.ratio` of it).

  python -m train.classifier --config projects/augment/configs/classifier.py --workdir runs/aug \
      --config.synthetic.gan_workdir=runs/augment/augment_n100_s0/gan --config.synthetic.ratio=0.25

The study (`study.py`) runs it for every N, seed and arm (real only at N = 100: 78.3 ± 1.1%
test accuracy over 3 seeds, results/augment/).
"""
from configs import ghostnet_fashion_mnist


def get_config():
    c = ghostnet_fashion_mnist.get_config()
    c.model.width = 0.5
    c.num_train_steps = 500  # a fixed budget, the same in every arm
    c.checkpoint_every_steps = 500
    c.eval_split = 'validation'  # the part carved from the subset; never the test split
    c.test_split = 'test'  # scored once, at the end
    c.subset.per_class = 100
    return c

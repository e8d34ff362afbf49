"""The augmentation study's generator: the class-conditional Ghost-GAN of `make run`
(`configs/ghost_g_dcgan28_d_cond_fashion_mnist.py`) trained on a labelled subset alone, with DiffAugment
(translation, cutout) against the discriminator overfitting a few hundred images.

  python -m train.gan --config projects/augment/configs/gan.py --workdir runs/aug_gan \
      --config.subset.per_class=100 --config.subset.seed=0
"""
import ml_collections

from configs import ghost_g_dcgan28_d_cond_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_cond_fashion_mnist.get_config()
    c.diffaugment = 'translation,cutout'
    c.num_train_steps = 1500
    c.subset = ml_collections.ConfigDict({'per_class': 100, 'seed': 0, 'val_fraction': 0.2})
    c.eval.extractor_workdir = ''  # no FID: the extractor saw every training label
    return c

"""The class-conditional DCGAN-28 (label embedding in G, projection head in D) on
Fashion-MNIST, with the budget and recipe of the conditional Ghost-GAN
(`ghost_g_dcgan28_d_cond_fashion_mnist.py`): the CAS baseline of the augmentation study.

  python -m train.gan --config configs/dcgan28_cond_fashion_mnist.py --workdir runs/dcgan28_cond

Measured: the CAS of its samples in results/augment/cas_dcgan28_s0.json
(projects/augment/README.md).
"""
from configs import dcgan28_fashion_mnist, ghost_g_dcgan28_d_cond_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_cond_fashion_mnist.get_config()
    base = dcgan28_fashion_mnist.get_config()
    c.generator, c.discriminator = base.generator, base.discriminator
    return c

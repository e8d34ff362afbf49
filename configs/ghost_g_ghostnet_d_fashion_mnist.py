"""All-Ghost GAN on Fashion-MNIST: GhostGenerator against GhostNet itself (small-image stem) as
the discriminator, with the stabilisers of ``ghost_g_ghost_d_fashion_mnist.py`` (spectral norm
on every D layer and no BatchNorm, hinge loss, DiffAugment, two time-scale learning rates);
only the discriminator differs.

  python -m train.gan --config configs/ghost_g_ghostnet_d_fashion_mnist.py --workdir runs/gan_ghostnetd

One of the four pairs of projects/ghostgan/configs/study.py. Expected at the study's
budget (9,370 steps): FID near 40 under the `make run` extractor, with recall near 0.3, about
four times the DCGAN-28 baseline's FID (projects/ghostgan/README.md).
"""
from configs import ghost_g_ghost_d_fashion_mnist


def get_config():
    c = ghost_g_ghost_d_fashion_mnist.get_config()
    c.discriminator.name = 'ghostnet'
    return c

"""DCGAN-28 (TensorFlow tutorial layout) on Fashion-MNIST, the Ghost-GAN's baseline.

  python -m train.gan --config configs/dcgan28_fashion_mnist.py --workdir runs/gan_dcgan28

Expected at the Ghost-GAN study's budget (9,370 steps): FID near 11 under the `make run`
extractor, the study's best, with recall near 0.8 (projects/ghostgan/README.md).
"""
from configs import ghost_g_dcgan28_d_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_fashion_mnist.get_config()
    c.generator.name = 'dcgan28'
    c.generator.kwargs = {}
    c.discriminator.name = 'dcgan28'
    c.discriminator.kwargs = {}
    return c

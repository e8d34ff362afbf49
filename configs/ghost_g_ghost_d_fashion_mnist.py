"""All-Ghost GAN on Fashion-MNIST: GhostGenerator against the Ghost discriminator (stride-2
GhostBottlenecks), with the stabilisers an unconstrained Ghost D needs (without them it
overpowers G): spectral norm on every D layer (no BatchNorm), hinge loss, DiffAugment (color,
translation, cutout) on real and fake, and two time-scale learning rates (D 4e-4, G 1e-4, Adam
betas 0, 0.9).

  python -m train.gan --config configs/ghost_g_ghost_d_fashion_mnist.py --workdir runs/gan_ghostd

One of the four pairs of projects/ghostgan/configs/study.py. Expected at the study's
budget (9,370 steps): FID in the 35-50 range under the `make run` extractor, varying widely
with the seed, about four times the DCGAN-28 baseline's (projects/ghostgan/README.md).
"""
from configs import ghost_g_dcgan28_d_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_fashion_mnist.get_config()
    c.discriminator.name = 'ghost'
    c.discriminator.kwargs = {'spectral_norm': True, 'depthwise_sn': 'joint'}
    c.loss = 'hinge'
    c.diffaugment = 'color,translation,cutout'
    c.d_learning_rate, c.g_learning_rate = 4e-4, 1e-4
    c.b1, c.b2 = 0.0, 0.9
    return c

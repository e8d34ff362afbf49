"""Ghost generator with a DCGAN-28 critic trained as WGAN-GP (5 critic steps, lambda 10).

  python -m train.gan --config configs/wgan_gp_fashion_mnist.py --workdir runs/gan_wgan_gp

Not run at a fixed budget yet: no measured result.
"""
from configs import ghost_g_dcgan28_d_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_fashion_mnist.get_config()
    c.discriminator.name = 'dcgan28'
    c.discriminator.kwargs = {'dropout': 0.0}
    c.loss = 'wgan'
    c.gp_weight = 10.0
    c.n_critic = 5
    c.g_learning_rate = c.d_learning_rate = 1e-4
    c.b1, c.b2 = 0.0, 0.9
    return c

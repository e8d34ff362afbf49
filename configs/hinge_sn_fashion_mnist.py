"""Ghost generator with a spectrally normalised DCGAN-28 discriminator and the hinge loss.

  python -m train.gan --config configs/hinge_sn_fashion_mnist.py --workdir runs/gan_hinge_sn

Not run at a fixed budget yet: no measured result.
"""
from configs import ghost_g_dcgan28_d_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_fashion_mnist.get_config()
    c.discriminator.name = 'dcgan28'
    c.discriminator.kwargs = {'spectral_norm': True}
    c.loss = 'hinge'
    c.d_learning_rate = 4e-4
    c.b1, c.b2 = 0.0, 0.9
    return c

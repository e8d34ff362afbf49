"""`make run`'s GAN: the class-conditional Ghost-GAN on Fashion-MNIST. The Ghost generator takes
a label embedding, the DCGAN-28 discriminator a projection head (Miyato & Koyama 2018);
otherwise the recipe of `ghost_g_dcgan28_d_fashion_mnist.py` (non-saturating loss, Adam 2e-4, EMA),
for 1,500 steps at batch 64.

  python -m train.gan --config configs/ghost_g_dcgan28_d_cond_fashion_mnist.py --workdir runs/gan

Scores: results/make_run_gan.json (rendered in the README). Conditioning makes the samples
class-balanced and class-specific, which lifts IS and class-histogram KL fastest.
"""
from configs import ghost_g_dcgan28_d_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_fashion_mnist.get_config()
    c.conditional = True
    c.num_train_steps = 1500
    c.sample_every_steps = 500
    c.checkpoint_every_steps = 500
    return c

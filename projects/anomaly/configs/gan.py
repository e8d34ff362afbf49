"""The anomaly study's GAN: the unconditional Ghost-GAN
(`configs/ghost_g_dcgan28_d_fashion_mnist.py`: Ghost G, DCGAN-28 D, non-saturating loss, EMA)
trained on one normal class of Fashion-MNIST, 1,500
steps at batch 64 (16 epochs of its 6,000 images).

  python -m train.gan --config projects/anomaly/configs/gan.py --workdir runs/gan_c0 \
      --config.subset.classes='(0,)'
"""
import ml_collections

from configs import ghost_g_dcgan28_d_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_fashion_mnist.get_config()
    c.subset = ml_collections.ConfigDict({'classes': (0,), 'per_class': 0})
    c.num_train_steps = 1500
    c.sample_every_steps = 500
    c.checkpoint_every_steps = 500
    c.eval.extractor_workdir = ''  # no FID: the extractor saw every class's labels
    return c

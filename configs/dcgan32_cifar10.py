"""DCGAN-32 on CIFAR-10 (needs the TFDS download of cifar10).

  python -m train.classifier --config configs/ghostnet_cifar10.py --workdir runs/extractor_cifar10
  python -m train.gan --config configs/dcgan32_cifar10.py --workdir runs/dcgan32_cifar10

FID/KID/IS/precision/recall use the CIFAR-10 GhostNet of the first command as the feature
extractor; training refuses to start until it exists (or pass
--config.eval.extractor_workdir='' to train without scores, or a pytorch-fid Inception
.pth for Inception-feature FIDs). Not run yet: no measured result.
"""
from configs import ghost_g_dcgan28_d_fashion_mnist


def get_config():
    c = ghost_g_dcgan28_d_fashion_mnist.get_config()
    c.dataset = 'cifar10'
    c.generator.name = 'dcgan'
    c.generator.kwargs = {}
    c.discriminator.name = 'dcgan'
    c.discriminator.kwargs = {}
    c.num_train_steps = 100_000
    c.eval.extractor_workdir = 'runs/extractor_cifar10'
    return c

"""DCGAN-64 (PyTorch example layout) on CelebA resized to 64x64 (needs TFDS celeb_a).

  python -m train.gan --config configs/dcgan64_celeba.py --workdir runs/dcgan64_celeba \
      --config.eval.extractor_workdir=/path/to/pt_inception-2015-12-05-6726825d.pth

CelebA has no class labels to train a domain extractor on, so the scores use pytorch-fid's
Inception weights you give (never downloaded); without them it trains without scores. Not
run yet: no measured result.
"""
from configs import dcgan32_cifar10


def get_config():
    c = dcgan32_cifar10.get_config()
    c.dataset = 'celeb_a'
    c.image_size = 64
    c.batch_size = 128
    c.eval.extractor_workdir = ''  # no labels for a domain extractor: see above
    return c

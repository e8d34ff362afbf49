"""GhostNet 1.0x with the small-image stem on CIFAR-10 (32x32x3), crop + flip augmentation.

  python -m train.classifier --config configs/ghostnet_cifar10.py --workdir runs/ghostnet_cifar10

Also the feature extractor of configs/dcgan32_cifar10.py. Not run yet: no measured result.
"""
import ml_collections

from configs import ghostnet_fashion_mnist


def get_config():
    c = ghostnet_fashion_mnist.get_config()
    c.dataset = 'cifar10'
    c.input = ml_collections.ConfigDict()  # default augmentation: 4-pixel crops and flips
    c.label_smoothing = 0.1
    c.num_epochs = 100
    c.warmup_epochs = 2.0
    c.weight_decay = 5e-4
    c.eval_every_epochs = 5
    return c

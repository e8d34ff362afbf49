"""A quick GhostNet 0.5x Fashion-MNIST classifier: the domain feature extractor for GAN metrics.

  python -m train.classifier --config configs/ghostnet_extractor.py \
      --workdir runs/extractor_fashion_mnist

The extractor every table uses was trained so and ships in assets/extractor_fashion_mnist
(test accuracy in results/extractor_fashion_mnist.json). Retraining gives the same weights on the
same CPU but not across CPUs (XLA's float rounding differs), so a new one does not reproduce the
tables' scores.
"""
from configs import ghostnet_fashion_mnist


def get_config():
    c = ghostnet_fashion_mnist.get_config()
    c.model.width = 0.5
    c.num_epochs = 1
    c.checkpoint_every_steps = 1000
    return c

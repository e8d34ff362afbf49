"""A quick GhostNet 0.5x Fashion-MNIST classifier: the domain feature extractor for GAN metrics
(`make run` trains it once into runs/extractor_fashion_mnist)."""
from configs import ghostnet_fashion_mnist


def get_config():
    c = ghostnet_fashion_mnist.get_config()
    c.model.width = 0.5
    c.num_epochs = 1
    c.checkpoint_every_steps = 1000
    return c

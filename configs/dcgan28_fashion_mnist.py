"""DCGAN-28 (TensorFlow tutorial layout) on Fashion-MNIST, the Ghost-GAN's baseline."""
from configs import ghostgan_fashion_mnist


def get_config():
    c = ghostgan_fashion_mnist.get_config()
    c.generator.name = 'dcgan28'
    c.generator.kwargs = {}
    c.discriminator.name = 'dcgan28'
    c.discriminator.kwargs = {}
    return c

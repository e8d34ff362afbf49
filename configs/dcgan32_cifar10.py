"""DCGAN-32 on CIFAR-10 (needs the TFDS download of cifar10)."""
from configs import ghostgan_fashion_mnist


def get_config():
    c = ghostgan_fashion_mnist.get_config()
    c.dataset = 'cifar10'
    c.generator.name = 'dcgan'
    c.generator.kwargs = {}
    c.discriminator.name = 'dcgan'
    c.discriminator.kwargs = {}
    c.num_train_steps = 100_000
    c.eval.extractor_workdir = 'runs/extractor_cifar10'
    return c

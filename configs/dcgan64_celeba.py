"""DCGAN-64 (PyTorch example layout) on CelebA resized to 64x64 (needs TFDS celeb_a)."""
from configs import dcgan32_cifar10


def get_config():
    c = dcgan32_cifar10.get_config()
    c.dataset = 'celeb_a'
    c.image_size = 64
    c.batch_size = 128
    return c

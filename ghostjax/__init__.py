"""ghostjax: efficient generative and vision models built from Ghost modules, in JAX/Flax.

Packages, each importing only the ones before it: ``ops`` (kernels with their VJPs) ->
``nn`` (Flax blocks, module roles) -> ``models`` (the zoo) -> ``data``, ``metrics``, ``optim``
-> ``training`` -> ``compression``, ``applications`` (GAN augmentation, anomaly detection);
``runtime`` holds process set-up (the CPU allocator).
"""
from ghostjax.models import (DCGAN28Discriminator, DCGAN28Generator, DCGANDiscriminator,
                             DCGANGenerator, GHOSTNET_STAGES, GhostDiscriminator, GhostGenerator,
                             GhostNet, MLPDiscriminator, MLPGenerator, create_discriminator,
                             create_generator)
from ghostjax.nn import (BatchNorm, Conv, ConvTranspose, DepthwiseConv, DFCAttention,
                         GhostBottleneck, GhostModule, Layers, PointwiseConv, SqueezeExcite,
                         hard_sigmoid, make_divisible)
from ghostjax.ops import count_macs, count_params, force_impl, model_size

__version__ = '0.1.0'

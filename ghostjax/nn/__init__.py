"""Flax building blocks: layers over ``ghostjax.ops``, Ghost blocks, GAN blocks, module roles."""
from ghostjax.nn.ghost import (DFCAttention, GhostBottleneck, GhostModule, SqueezeExcite,
                               hard_sigmoid, make_divisible)
from ghostjax.nn.layers import (BatchNorm, Conv, ConvTranspose, DepthwiseConv, Layers,
                                PointwiseConv, batch_norm, conv)

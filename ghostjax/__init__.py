"""ghostjax: efficient generative and vision models built from Ghost modules, in JAX/Flax."""
from ghostjax.counting import count_macs, count_params, model_size
from ghostjax.ghost import (DFCAttention, GhostBottleneck, GhostModule, SqueezeExcite,
                            hard_sigmoid, make_divisible)
from ghostjax.ghostnet import GHOSTNET_STAGES, GhostNet
from ghostjax.layers import DepthwiseConv, resolve_depthwise_impl

__version__ = '0.1.0'

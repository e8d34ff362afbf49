"""GhostNet (Han et al., CVPR 2020) as classifier and multi-scale backbone, plus the V2 variant.

Exact to the reference implementation: with 1000 classes at 224x224 the widths 0.5 / 1.0 / 1.3
have 2,587,292 / 5,182,508 / 7,358,820 parameters and 42.3M / 141.2M / 227.0M conv+dense MACs.
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax.nn.ghost import GhostBottleneck, make_divisible
from ghostjax.nn.layers import Layers

Dtype = Any

# (kernel, expansion, out, SE ratio, stride), grouped into the reference's stages ``blocks.0..8``.
GHOSTNET_STAGES = (
    ((3, 16, 16, 0.0, 1),),
    ((3, 48, 24, 0.0, 2),),
    ((3, 72, 24, 0.0, 1),),
    ((5, 72, 40, 0.25, 2),),
    ((5, 120, 40, 0.25, 1),),
    ((3, 240, 80, 0.0, 2),),
    ((3, 200, 80, 0.0, 1), (3, 184, 80, 0.0, 1), (3, 184, 80, 0.0, 1), (3, 480, 112, 0.25, 1),
     (3, 672, 112, 0.25, 1)),
    ((5, 672, 160, 0.25, 2),),
    ((5, 960, 160, 0.0, 1), (5, 960, 160, 0.25, 1), (5, 960, 160, 0.0, 1),
     (5, 960, 160, 0.25, 1)),
)
OUTPUTS = ('logits', 'pre_logits', 'features')


def total_stride(stages: tuple, stem_stride: int = 2) -> int:
    """The downsampling factor of a GhostNet with bottleneck table ``stages``."""
    return stem_stride * 2 ** sum(b[4] == 2 for s in stages for b in s)


class GhostNet(nn.Module):
    """GhostNet classifier / backbone. Input ``[B, H, W, in_channels]``.

    Attributes:
      width: channel multiplier (0.5, 1.0, 1.3 in the paper); channels are
        ``make_divisible(c * width, 4)``.
      num_classes: classifier outputs.
      dropout: dropout rate before the classifier (active when ``train=True``).
      stem_stride: 2 as published; 1 for small images (28x28, 32x32).
      version: 1, or 2 for GhostNetV2's DFC attention in ghost1 of every block after the second.
      impl: 'auto' | 'reference' | 'fast', for every layer (``ghostjax.ops.policy``).
      dtype: compute dtype (e.g. ``jnp.bfloat16``); parameters stay float32.
      bn_axis_name: the data-parallel axis over which BatchNorm averages batch statistics in
        training.
      spectral_norm: every conv spectrally normalised and no BatchNorm (``nn.layers.Layers``),
        for GhostNet as a GAN discriminator (``models.ghostgan.GhostNetDiscriminator``).
      depthwise_sn: how spectral norm treats the depthwise kernels, 'joint' | 'per_filter'
        (``nn.layers.Layers``).
      stages: the bottleneck table, ``((kernel, expansion, out, se_ratio, stride), ...)`` per
        stage; the paper's by default (a shorter one makes quick experiments and tests).
      ghost1_primary: per bottleneck (in order), the primary maps of its ghost1 after channel
        pruning (``ghostjax.compression.channel_pruning``); () = unpruned.

    ``__call__(x, train, output)`` returns, by ``output``:
      'logits': ``[B, num_classes]``;
      'pre_logits': the ``[B, 1280]`` features after conv_head + ReLU (dropout not applied);
      'features': ``{stride: [B, H/stride, W/stride, C]}``, the last map at each stride of the
        backbone (strides 4, 8, 16, 32 with the published stem; 2, 4, 8, 16 with ``stem_stride=1``).
    """
    width: float = 1.0
    num_classes: int = 1000
    dropout: float = 0.2
    in_channels: int = 3
    stem_stride: int = 2
    version: int = 1
    num_features: int = 1280
    impl: str = 'auto'
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None
    stages: tuple = GHOSTNET_STAGES
    ghost1_primary: tuple = ()
    spectral_norm: bool = False
    depthwise_sn: str = 'joint'

    @property
    def total_stride(self) -> int:
        return total_stride(self.stages, self.stem_stride)

    def _check(self, x: jax.Array, output: str) -> None:
        if self.width <= 0:
            raise ValueError(f'GhostNet width must be positive, got {self.width}')
        if self.stem_stride not in (1, 2):
            raise ValueError(f'stem_stride must be 1 or 2, got {self.stem_stride}')
        if self.version not in (1, 2):
            raise ValueError(f'version must be 1 or 2, got {self.version}')
        blocks = sum(len(s) for s in self.stages)
        if self.ghost1_primary and len(self.ghost1_primary) != blocks:
            raise ValueError(f'ghost1_primary needs one width per bottleneck ({blocks}), got '
                             f'{len(self.ghost1_primary)}')
        if output not in OUTPUTS:
            raise ValueError(f'output must be one of {OUTPUTS}, got {output!r}')
        expected = f'[B, H, W, {self.in_channels}] with H, W >= {self.total_stride}'
        if x.ndim != 4:
            raise ValueError(f'GhostNet expects input of shape {expected}; got rank {x.ndim} '
                             f'shape {tuple(x.shape)}')
        if x.shape[-1] != self.in_channels:
            raise ValueError(f'GhostNet expects input of shape {expected}; got {x.shape[-1]} '
                             f'channels in shape {tuple(x.shape)}')
        if min(x.shape[1:3]) < self.total_stride:
            raise ValueError(f'GhostNet expects input of shape {expected} (total stride '
                             f'{self.total_stride}); got spatial size {tuple(x.shape[1:3])}')

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False, output: str = 'logits'):
        self._check(x, output)
        ly = Layers(self.dtype, self.impl, self.bn_axis_name, self.spectral_norm, train,
                    self.depthwise_sn)
        x = ly.conv(make_divisible(16 * self.width, 4), 3, self.stem_stride, name='conv_stem')(
            x.astype(self.dtype))
        x = nn.relu(ly.norm(train, 'bn1')(x))
        stride, features = self.stem_stride, {}
        block_id = 0
        for i, stage in enumerate(self.stages):
            for j, (k, exp, c, se, s) in enumerate(stage):
                if s > 1:
                    features[stride] = x
                    stride *= s
                x = GhostBottleneck(make_divisible(exp * self.width, 4),
                                    make_divisible(c * self.width, 4), k, s, se,
                                    dfc=self.version == 2 and block_id > 1,
                                    primary_features=(self.ghost1_primary[block_id]
                                                      if self.ghost1_primary else None),
                                    layers=ly, name=f'blocks_{i}_{j}')(x, train)
                block_id += 1
        exp_last = self.stages[-1][-1][1]
        x = ly.conv(make_divisible(exp_last * self.width, 4), name='blocks_9_conv')(x)
        x = nn.relu(ly.norm(train, 'blocks_9_bn')(x))
        features[stride] = x
        if output == 'features':
            return {k: v for k, v in features.items() if k > self.stem_stride}
        x = jnp.mean(x, axis=(1, 2), keepdims=True)
        x = nn.relu(ly.conv(self.num_features, use_bias=True, name='conv_head')(x))
        x = x.reshape(x.shape[0], -1)
        if output == 'pre_logits':
            return x
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return nn.Dense(self.num_classes, dtype=self.dtype, name='classifier')(x)

"""Blocks for dense prediction on backbone feature maps: a Ghost FPN neck, a shared FCOS-style
detection head and a semantic segmentation head. All maps are ``[B, H, W, C]``; a pyramid is a
dict ``{stride: map}``.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax.nn.ghost import GhostModule
from ghostjax.nn.layers import Layers


def upsample_to(x: jax.Array, size: tuple[int, int], method: str = 'nearest') -> jax.Array:
    """``x [B, h, w, C]`` resized to ``[B, *size, C]``."""
    if x.shape[1:3] == tuple(size):
        return x
    return jax.image.resize(x, (x.shape[0], *size, x.shape[3]), method)


class GhostFPN(nn.Module):
    """Feature pyramid (Lin et al. 2017) over ``{stride: map}`` with Ghost modules.

    Per level: a 1x1 lateral conv + BN to ``features`` channels, the coarser level's output
    upsampled (nearest) and added, then a Ghost module (a 1x1 conv to half the channels plus a
    depthwise 3x3 for the rest) instead of FPN's dense 3x3 smoothing conv. Returns
    ``{stride: [B, H/stride, W/stride, features]}`` for ``strides``.
    """
    features: int = 64
    strides: Sequence[int] = (8, 16, 32)
    layers: Layers = Layers()

    @nn.compact
    def __call__(self, pyramid: dict[int, jax.Array], train: bool = False) -> dict[int, jax.Array]:
        missing = sorted(set(self.strides) - set(pyramid))
        if missing:
            raise ValueError(f'the FPN needs backbone strides {missing}, which the backbone does '
                             f'not produce; it produces {sorted(pyramid)}')
        ly, out, top = self.layers, {}, None
        for s in sorted(self.strides, reverse=True):
            x = ly.norm(train, f'lateral_{s}_bn')(ly.conv(self.features, name=f'lateral_{s}')(
                pyramid[s]))
            if top is not None:
                x = x + upsample_to(top, x.shape[1:3])
            top = x
            out[s] = GhostModule(self.features, relu=False, layers=ly, name=f'smooth_{s}')(x,
                                                                                        train)
        return out


class SeparableConv(nn.Module):
    """Depthwise 3x3 + pointwise 1x1 (MobileNet's depthwise-separable conv), each with a norm
    and ReLU; ``norm``: 'batch' or 'group' (GroupNorm, for weights shared across levels)."""
    features: int
    norm: str = 'batch'
    layers: Layers = Layers()

    def _norm(self, train: bool, name: str):
        if self.norm == 'group':
            return nn.GroupNorm(num_groups=None, group_size=8, dtype=self.layers.dtype, name=name)
        return self.layers.norm(train, name)

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        ly = self.layers
        x = nn.relu(self._norm(train, 'dw_norm')(ly.depthwise(3, name='dw')(x)))
        return nn.relu(self._norm(train, 'pw_norm')(ly.conv(self.features, name='pw')(x)))


class FCOSHead(nn.Module):
    """FCOS head (Tian et al. 2019), shared over the pyramid levels: a classification and a
    regression tower of ``depth`` separable convs with GroupNorm, then per point class logits,
    box distances and a centerness logit.

    Returns, with ``P`` the points of all levels in ``strides`` order (row-major per level):
    ``{'logits': [B, P, num_classes], 'distances': [B, P, 4] (left, top, right, bottom, in
    pixels, positive), 'centerness': [B, P]}``.
    """
    num_classes: int
    strides: Sequence[int] = (8, 16, 32)
    features: int = 64
    depth: int = 2
    prior: float = 0.01  # initial foreground probability (focal-loss bias init)
    layers: Layers = Layers()

    @nn.compact
    def __call__(self, pyramid: dict[int, jax.Array], train: bool = False) -> dict[str, jax.Array]:
        ly = self.layers
        cls_tower = [SeparableConv(self.features, 'group', ly, name=f'cls_{i}')
                     for i in range(self.depth)]
        box_tower = [SeparableConv(self.features, 'group', ly, name=f'box_{i}')
                     for i in range(self.depth)]
        bias = -jnp.log((1 - self.prior) / self.prior)
        cls_out = nn.Conv(self.num_classes, (3, 3), padding=1, dtype=ly.dtype,
                          bias_init=nn.initializers.constant(bias), name='cls_logits')
        box_out = nn.Conv(4, (3, 3), padding=1, dtype=ly.dtype, name='box_distances')
        ctr_out = nn.Conv(1, (3, 3), padding=1, dtype=ly.dtype, name='centerness')
        logits, distances, centerness = [], [], []
        for s in self.strides:
            c = b = pyramid[s]
            for conv in cls_tower:
                c = conv(c, train)
            for conv in box_tower:
                b = conv(b, train)
            scale = self.param(f'scale_{s}', nn.initializers.ones, ())
            flat = lambda x: x.reshape(x.shape[0], -1, x.shape[-1]).astype(jnp.float32)
            logits.append(flat(cls_out(c)))
            # exp keeps distances positive; the per-level scale and stride set their range
            distances.append(jnp.exp(jnp.clip(flat(box_out(b)) * scale, -10.0, 10.0)) * s)
            centerness.append(flat(ctr_out(b))[..., 0])
        return {'logits': jnp.concatenate(logits, 1), 'distances': jnp.concatenate(distances, 1),
                'centerness': jnp.concatenate(centerness, 1)}


class SegmentationHead(nn.Module):
    """Semantic segmentation on the pyramid (Panoptic-FPN's semantic branch, with separable
    convs): each level through a separable conv, upsampled (bilinear) to the finest level and
    summed, one more separable conv, a 1x1 classifier, and a bilinear upsampling to
    ``image_size``. Returns logits ``[B, H, W, num_classes]``."""
    num_classes: int
    image_size: tuple[int, int]
    features: int = 64
    layers: Layers = Layers()

    @nn.compact
    def __call__(self, pyramid: dict[int, jax.Array], train: bool = False) -> jax.Array:
        ly = self.layers
        finest = min(pyramid)
        size = pyramid[finest].shape[1:3]
        x = sum(upsample_to(SeparableConv(self.features, layers=ly, name=f'level_{s}')(
            pyramid[s], train), size, 'bilinear') for s in sorted(pyramid))
        x = SeparableConv(self.features, layers=ly, name='fuse')(x, train)
        x = nn.Conv(self.num_classes, (1, 1), dtype=ly.dtype, name='classifier')(x)
        return upsample_to(x.astype(jnp.float32), tuple(self.image_size), 'bilinear')

"""The model zoo by name: GAN generators and discriminators, validated before anything
compiles."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ghostjax.models.dcgan import (DCGAN28Discriminator, DCGAN28Generator, DCGANDiscriminator,
                                   DCGANGenerator, MLPDiscriminator, MLPGenerator)
from ghostjax.models.ghostgan import GhostDiscriminator, GhostGenerator, GhostNetDiscriminator

GENERATORS = {'dcgan': DCGANGenerator, 'dcgan28': DCGAN28Generator, 'mlp': MLPGenerator,
              'ghost': GhostGenerator}
DISCRIMINATORS = {'dcgan': DCGANDiscriminator, 'dcgan28': DCGAN28Discriminator,
                  'mlp': MLPDiscriminator, 'ghost': GhostDiscriminator,
                  'ghostnet': GhostNetDiscriminator}


def _make(table, kind: str, name: str, kwargs: dict):
    if name not in table:
        raise ValueError(f'unknown {kind} {name!r}; expected one of {sorted(table)}')
    cls = table[name]
    fields = set(cls.__dataclass_fields__)
    if 'bn_axis_name' not in fields:  # models without BatchNorm have nothing to synchronise
        kwargs = {k: v for k, v in kwargs.items() if k != 'bn_axis_name'}
    if kwargs.get('spectral_norm') and 'spectral_norm' not in fields:
        able = sorted(n for n, c in table.items() if 'spectral_norm' in c.__dataclass_fields__)
        raise ValueError(f'{kind} {name!r} cannot take spectral_norm; the {kind}s that can: '
                         f'{able or "none"}')
    unknown = sorted(set(kwargs) - fields)
    if unknown:
        raise ValueError(f'{cls.__name__} has no option(s) {unknown}; valid: '
                         f'{sorted(fields - {"parent", "name"})}')
    return cls(**kwargs)


def create_generator(name: str, *, resolution: int, channels: int, **kwargs):
    """Generator ``name`` that must produce ``[B, resolution, resolution, channels]`` images;
    raises ValueError (without compiling anything) when it cannot."""
    g = _make(GENERATORS, 'generator', name, {'channels': channels, 'resolution': resolution,
                                              **kwargs})
    z = jax.ShapeDtypeStruct((1, g.z_dim), jnp.float32)
    labels = jnp.zeros((1,), jnp.int32) if getattr(g, 'num_classes', 0) else None
    try:
        out = jax.eval_shape(lambda z: g.init_with_output(jax.random.key(0), z, labels)[0], z)
    except ValueError as e:
        raise ValueError(f'generator {name!r} cannot make {resolution}x{resolution}x{channels} '
                         f'images: {e}') from e
    if out.shape[1:] != (resolution, resolution, channels):
        raise ValueError(f'generator {name!r} makes images of shape {out.shape[1:]}, but the data '
                         f'is {resolution}x{resolution}x{channels}')
    return g


def create_discriminator(name: str, *, resolution: int, channels: int, **kwargs):
    return _make(DISCRIMINATORS, 'discriminator', name,
                 {'channels': channels, 'resolution': resolution, **kwargs})

"""The Ghost-GAN study's screening grid: training recipes fixed before any run, every recipe
applied to every G/D pair, so that no architecture is judged under another's recipe.

* ``a``: the DCGAN baseline's: non-saturating loss, Adam 2e-4 (0.5, 0.999), no spectral norm,
  no augmentation;
* ``b``: ``a`` + spectral norm on D;
* ``c``: hinge loss + spectral norm + two time-scale rates (D 4e-4, G 1e-4), Adam (0, 0.9);
* ``d``: ``c`` + DiffAugment translation.

Spectral norm on a Ghost or GhostNet D divides each depthwise filter by its own conv's
operator norm (``depthwise_sn='per_filter'``, ``ghostjax.nn.layers.Layers``): Flax's joint
normalisation leaves those layers well below 1-Lipschitz, which would handicap the Ghost
discriminators under recipes b-d alone.
"""
from __future__ import annotations

from typing import Any, Sequence

_BASELINE = dict(loss='ns', d_learning_rate=2e-4, g_learning_rate=2e-4, b1=0.5, b2=0.999,
                 diffaugment='', spectral_norm=False)
_HINGE_SN_TTUR = dict(loss='hinge', d_learning_rate=4e-4, g_learning_rate=1e-4, b1=0.0, b2=0.9,
                      diffaugment='', spectral_norm=True)
RECIPES: dict[str, dict[str, Any]] = {
    'a': _BASELINE,
    'b': {**_BASELINE, 'spectral_norm': True},
    'c': _HINGE_SN_TTUR,
    'd': {**_HINGE_SN_TTUR, 'diffaugment': 'translation'},
}
# Each generator's train.gan config file (both train against the DCGAN-28 D and differ in the
# generator alone); the discriminator and the recipe are set on top.
GENERATORS = {'dcgan28_g': 'configs/dcgan28_fashion_mnist.py',
              'ghost_g': 'configs/ghost_g_dcgan28_d_fashion_mnist.py'}
DISCRIMINATORS = {'dcgan28_d': 'dcgan28', 'ghost_d': 'ghost', 'ghostnet_d': 'ghostnet'}
PAIRS = (('dcgan28_g', 'dcgan28_d'), ('dcgan28_g', 'ghost_d'), ('ghost_g', 'dcgan28_d'),
         ('ghost_g', 'ghost_d'), ('ghost_g', 'ghostnet_d'))
SEPARATOR = '__'  # run name: {recipe}__{generator}_{discriminator}


def overrides(recipe: str, discriminator: str) -> dict[str, Any]:
    """The config values (``projects.ghostgan.study.load_pairs``' overrides) that train
    ``discriminator`` (a ``DISCRIMINATORS`` key) under ``recipe``."""
    if recipe not in RECIPES:
        raise ValueError(f'unknown recipe {recipe!r}; expected one of {sorted(RECIPES)}')
    if discriminator not in DISCRIMINATORS:
        raise ValueError(f'unknown discriminator {discriminator!r}; expected one of '
                         f'{sorted(DISCRIMINATORS)}')
    r = dict(RECIPES[recipe])
    kwargs = {'spectral_norm': r.pop('spectral_norm')}
    if kwargs['spectral_norm'] and discriminator != 'dcgan28_d':
        kwargs['depthwise_sn'] = 'per_filter'
    return {**r, 'discriminator': {'name': DISCRIMINATORS[discriminator], 'kwargs': kwargs}}


def grid(recipes: Sequence[str] = tuple(RECIPES)
         ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """(run name -> config file, run name -> overrides) for every pair under every recipe.
    The names lead with the recipe, so the study's (sorted) run order is recipe-major: a
    screening cut short has compared every pair under the first recipes."""
    files, values = {}, {}
    for recipe in recipes:
        for g, d in PAIRS:
            name = f'{recipe}{SEPARATOR}{g}_{d}'
            values[name] = overrides(recipe, d)
            files[name] = GENERATORS[g]
    return files, values


def split_name(name: str) -> tuple[str, str]:
    """``'c__ghost_g_ghost_d'`` -> ``('ghost_g_ghost_d', 'c')``."""
    recipe, sep, pair = name.partition(SEPARATOR)
    if not sep or recipe not in RECIPES:
        raise ValueError(f'{name!r} is no screening run name ({{recipe}}{SEPARATOR}{{pair}}, '
                         f'recipes {sorted(RECIPES)})')
    return pair, recipe

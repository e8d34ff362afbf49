"""The module paths of the earlier flat layout, kept importable: ``import ghostjax.layers`` or
``from ghostjax.gans import create_generator`` load the module that now holds the code (with a
DeprecationWarning naming it)."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    'ghostjax.layers': 'ghostjax.nn.layers',
    'ghostjax.ghost': 'ghostjax.nn.ghost',
    'ghostjax.counting': 'ghostjax.ops.counting',
    'ghostjax.ghostnet': 'ghostjax.models.ghostnet',
    'ghostjax.dcgan': 'ghostjax.models.dcgan',
    'ghostjax.ghostgan': 'ghostjax.models.ghostgan',
    'ghostjax.gans': 'ghostjax.models.registry',
    'ghostjax.convert': 'ghostjax.models.convert',
    'ghostjax.metrics.inception': 'ghostjax.models.inception',
    'ghostjax.losses': 'ghostjax.training.losses',
    'ghostjax.pruning': 'ghostjax.optim.pruning',
    'ghostjax.channel_pruning': 'ghostjax.compression.channel_pruning',
    'ghostjax.quantization': 'ghostjax.compression.quantization',
    'ghostjax.compress': 'ghostjax.compression.pipelines',
    'ghostjax.allocator': 'ghostjax.runtime.allocator',
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        warnings.warn(f'{spec.name} moved to {MOVED[spec.name]}', DeprecationWarning,
                      stacklevel=2)
        module = importlib.import_module(MOVED[spec.name])
        self._spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._spec  # the import machinery set the alias's spec on it


def install() -> None:
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())

"""The module paths of the earlier flat layout, kept importable: ``import ghostjax.layers`` or
``from ghostjax.gans import create_generator`` load the module that now holds the code (with a
DeprecationWarning naming it). Where an earlier module's names now live in several modules,
the alias is a module holding the public names of all of them."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

MOVED = {
    'ghostjax.layers': ('ghostjax.nn.layers', 'ghostjax.ops.depthwise', 'ghostjax.ops.conv',
                        'ghostjax.ops.batch_norm'),
    'ghostjax.ghost': 'ghostjax.nn.ghost',
    'ghostjax.counting': 'ghostjax.ops.counting',
    'ghostjax.ghostnet': 'ghostjax.models.ghostnet',
    'ghostjax.dcgan': ('ghostjax.models.dcgan', 'ghostjax.nn.gan'),
    'ghostjax.ghostgan': ('ghostjax.models.ghostgan', 'ghostjax.nn.gan'),
    'ghostjax.gans': 'ghostjax.models.registry',
    'ghostjax.convert': 'ghostjax.models.convert',
    'ghostjax.metrics.inception': ('ghostjax.models.inception', 'ghostjax.metrics.extractors'),
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
        targets = MOVED[spec.name]
        warnings.warn(f'{spec.name} moved to {targets}', DeprecationWarning, stacklevel=2)
        if isinstance(targets, str):
            module = importlib.import_module(targets)
            self._spec = module.__spec__
            return module
        module = types.ModuleType(spec.name, f'Names of {", ".join(targets)}.')
        for target in reversed(targets):  # the first module listed wins a name clash
            source = importlib.import_module(target)
            module.__dict__.update({k: v for k, v in vars(source).items()
                                    if not k.startswith('__')})
        self._spec = spec
        return module

    def exec_module(self, module):
        module.__spec__ = self._spec  # the import machinery set the alias's spec on it


def install() -> None:
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())

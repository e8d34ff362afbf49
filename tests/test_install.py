"""`pip install ghostjax` (no extras) is enough for the models, data, GAN metrics and the
classifier and GAN trainers (dense prediction needs `[dense]`); the
optional groups are needed only by the modules that name them."""
import subprocess
import sys
import tomllib

from tests.helpers import ROOT

EXTRAS_ONLY = {'sklearn': 'apps', 'pycocotools': 'dense', 'qwix': 'compress',
               'matplotlib': 'docs', 'torch': 'torch'}
CORE = ('ghostjax', 'ghostjax.models', 'ghostjax.data', 'ghostjax.metrics', 'ghostjax.optim',
        'ghostjax.training.classifier', 'ghostjax.training.gan', 'ghostjax.applications.augment',
        'train.gan')


def test_the_core_imports_without_any_optional_group():
    blocked = '; '.join(f'sys.modules[{m!r}] = None' for m in EXTRAS_ONLY)
    code = f'import sys; {blocked}; ' + '; '.join(f'import {m}' for m in CORE)
    proc = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_each_optional_package_is_in_its_group_and_not_in_the_core():
    project = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']
    core = ' '.join(project['dependencies'])
    groups = project['optional-dependencies']
    for module, group in EXTRAS_ONLY.items():
        package = {'sklearn': 'scikit-learn'}.get(module, module)
        assert package not in core, f'{package} is a core dependency; expected [{group}] only'
        assert any(d.startswith(package) for d in groups[group]), f'[{group}] lacks {package}'
    assert {'apps', 'dense', 'compress', 'docs'} <= set(groups['test'][0][len('ghostjax['):-1]
                                                        .split(','))

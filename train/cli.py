"""What every entry point does around its run: a quiet console and a closing summary."""
import os

import jax
from absl import flags, logging

from ghostjax.runtime import allocator


def setup() -> None:
    """Library INFO logs (Orbax, absl, per-step metrics) only with ``--verbosity``/``-v``;
    ghostjax's own progress lines and warnings always show."""
    if not flags.FLAGS['verbosity'].present:
        logging.set_verbosity(logging.WARNING)
    allocator.log_hint(jax.default_backend())


def summary(title: str, workdir: str, files: dict[str, str], scores: dict[str, float]) -> None:
    """Prints where a run's outputs are and its scores."""
    print(f'\n{title}')
    for label, path in files.items():
        if os.path.exists(os.path.join(workdir, path)):
            print(f'  {label:<12} {os.path.join(workdir, path)}')
    if scores:
        print('  ' + '  '.join(f'{k} {v:.4g}' for k, v in scores.items()))

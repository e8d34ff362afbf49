"""Runs the GAN-augmentation study and the Classification Accuracy Score, resumable.

  python -m projects.augment.main --config projects/augment/configs/study.py \
      --workdir runs/augment
"""
import os

from absl import app, flags
from ml_collections import config_flags

from projects.augment.study import run_cas, run_study
from train import cli

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Study configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory holding one run directory per (N, seed).')
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too
PARTS = ('augment', 'cas')


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    unknown = sorted(set(FLAGS.config.parts) - set(PARTS))
    if unknown:
        raise ValueError(f'unknown study parts {unknown}; expected some of {PARTS}')
    cli.setup()
    paths = []
    if 'augment' in FLAGS.config.parts:
        paths += run_study(FLAGS.config, FLAGS.workdir)
    # a stop signal ends the augment part early: CAS waits until every augment run is done
    if 'cas' in FLAGS.config.parts and all(map(os.path.exists, paths)):
        paths += run_cas(FLAGS.config, FLAGS.workdir)
    cli.summary(f'study: {len(paths)} results', '',
                {f'result {i + 1}': p for i, p in enumerate(paths)}, {})


if __name__ == '__main__':
    cli.run(main)

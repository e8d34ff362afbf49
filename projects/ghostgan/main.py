"""Runs a GAN study: several train.gan configs and seeds under one budget, resumable.

  python -m projects.ghostgan.main --config projects/ghostgan/configs/study.py \
      --workdir runs/ghostgan_study

With ``--max_runs=N`` the process stops after N finished runs (e.g. to fit a session); running
the command again continues the study.
"""
from absl import app, flags
from ml_collections import config_flags

from projects.ghostgan.study import load_pairs, run_study
from train import cli

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Study configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory holding one run directory per (pair, seed).')
flags.DEFINE_integer('max_runs', 0, 'Stop after this many runs finish in this process (0: all).',
                     lower_bound=0)
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    paths = run_study(FLAGS.config, load_pairs(FLAGS.config), FLAGS.workdir,
                      FLAGS.max_runs or None)
    cli.summary(f'study: {len(paths)} runs', '', {f'run {i + 1}': p for i, p in enumerate(paths)},
                {})


if __name__ == '__main__':
    cli.run(main)

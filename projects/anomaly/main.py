"""Runs the one-class anomaly-detection study (f-AnoGAN with Ghost models, and baselines).

  python -m projects.anomaly.main --config projects/anomaly/configs/study.py --workdir runs/anomaly
"""
from absl import app, flags
from ml_collections import config_flags

from projects.anomaly.study import run_study
from train import cli

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Study configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory holding one run directory per (class, seed).')
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    paths = run_study(FLAGS.config, FLAGS.workdir)
    cli.summary(f'study: {len(paths)} results', '',
                {f'result {i + 1}': p for i, p in enumerate(paths)}, {})


if __name__ == '__main__':
    cli.run(main)

"""Runs the recipe study: the base classifier's recipe arms, compared on validation.

  python -m projects.recipe.main --config projects/recipe/configs/study.py --workdir runs/recipe

With ``--max_runs=N`` the process stops after N finished arms; running the command again
continues the study.
"""
from absl import app, flags
from ml_collections import config_flags

from projects.recipe.study import run_study
from train import cli

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Study configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory holding one run directory per arm.')
flags.DEFINE_integer('max_runs', 0, 'Stop after this many arms finish in this process (0: all).',
                     lower_bound=0)
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    paths = run_study(FLAGS.config, FLAGS.workdir, FLAGS.max_runs or None)
    cli.summary(f'recipe study: {len(paths)} arms', '',
                {f'arm {i + 1}': p for i, p in enumerate(paths)}, {})


if __name__ == '__main__':
    cli.run(main)

"""Trains a GAN.

  python -m train.gan --config configs/ghost_g_dcgan28_d_fashion_mnist.py --workdir runs/gan \
      [--config.loss=hinge ...]
"""
from absl import app, flags
from ml_collections import config_flags

from ghostjax.training.gan import train_and_evaluate
from train import cli

FLAGS = flags.FLAGS
SCORES = ('fid', 'kid_mean', 'is_mean', 'precision', 'recall')
config_flags.DEFINE_config_file('config', None, 'Training configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for checkpoints, samples and metrics.')
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    result = train_and_evaluate(FLAGS.config, FLAGS.workdir)
    files = {'samples': 'samples/latest.png', 'checkpoints': 'checkpoints',
             'TensorBoard': 'tensorboard', 'result': 'train_result.json'}
    cli.summary(cli.title(result), FLAGS.workdir, files, {k: result[k] for k in SCORES if k in result},
                result)


if __name__ == '__main__':
    cli.run(main)

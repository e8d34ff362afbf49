"""Trains a GhostNet classifier.

  python -m train.classifier --config configs/ghostnet_fashion_mnist.py --workdir runs/cls \
      [--config.batch_size=256 ...]
"""
import jax
from absl import app, flags
from ml_collections import config_flags

from ghostjax.runtime import allocator
from ghostjax.training.classifier import train_and_evaluate

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Training configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for checkpoints, metrics and results.')
flags.mark_flags_as_required(['config', 'workdir'])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    allocator.log_hint(jax.default_backend())
    print(train_and_evaluate(FLAGS.config, FLAGS.workdir))


if __name__ == '__main__':
    app.run(main)

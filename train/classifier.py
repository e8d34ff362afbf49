"""Trains a GhostNet classifier, optionally on a labelled subset and with images from a
conditional GAN mixed into every batch (the config's ``subset`` and ``synthetic`` blocks).

  python -m train.classifier --config configs/ghostnet_fashion_mnist.py --workdir runs/cls \
      [--config.batch_size=256 ...]
"""
from absl import app, flags
from ml_collections import config_flags

from ghostjax.applications.augment import extension_from_config
from ghostjax.training.classifier import train_and_evaluate
from train import cli

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Training configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for checkpoints, metrics and results.')
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    result = train_and_evaluate(FLAGS.config, FLAGS.workdir,
                                extension_from_config(FLAGS.config))
    files = {'checkpoints': 'checkpoints', 'TensorBoard': 'tensorboard', 'result': 'eval.json'}
    scores = {f'{result["split"]}_{k}': result[k] for k in ('accuracy', 'loss') if k in result}
    if 'test' in result:
        scores['test_accuracy'] = result['test']['accuracy']
    cli.summary(cli.title(result), FLAGS.workdir, files, scores, result)


if __name__ == '__main__':
    cli.run(main)

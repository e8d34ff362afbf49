"""Trains GhostNet detection, segmentation or multi-task models (``model.tasks``).

  python -m train.dense_prediction --config projects/scenes/configs/multitask.py \
      --workdir runs/scenes_multitask
"""
from absl import app, flags
from ml_collections import config_flags

from ghostjax.training.dense_prediction import train_and_evaluate
from train import cli

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Training configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for checkpoints, metrics and results.')
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too
SHOWN = ('map', 'map50', 'miou', 'classify_label_accuracy')


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    result = train_and_evaluate(FLAGS.config, FLAGS.workdir)
    files = {'checkpoints': 'checkpoints', 'TensorBoard': 'tensorboard', 'result': 'eval.json'}
    scores = result.get(result.get('reported_split'), {})
    cli.summary(cli.title(result), FLAGS.workdir, files, {k: scores[k] for k in SHOWN if k in scores}, result)


if __name__ == '__main__':
    cli.run(main)

"""The reference points of the scenes table, from the test split alone (no model): the label
accuracy of predicting every class absent, and the pixel accuracy and mIoU (with and without
background) of predicting background everywhere.

  python -m projects.scenes.baselines --config projects/scenes/configs/multitask.py \
      --workdir runs/scenes_baselines

Writes ``{workdir}/result.json``; ``python -m benchmarks.publish
runs/scenes_baselines/result.json results/scenes_baselines.json`` puts it beside the table.
"""
from absl import app, flags
import jax.numpy as jnp
import numpy as np
from ml_collections import config_flags

from ghostjax.data import scenes
from ghostjax.metrics import segmentation as seg_metrics
from ghostjax.training.dense_prediction import classes_present
from train import cli

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'A scenes model configuration file.',
                                lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for result.json.')
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)


def reference_scores(split: scenes.DenseSplit) -> dict[str, float]:
    """What a model that knows nothing scores on ``split``, by the metrics of the trainer:
    ``classify_label_accuracy`` of "absent" for every (image, class); ``pixel_accuracy``,
    ``miou`` and ``miou_objects`` of background (class 0) at every pixel."""
    present = np.asarray(classes_present({'box_labels': jnp.asarray(split.box_labels),
                                          'box_valid': jnp.asarray(split.box_valid)},
                                         split.num_classes))
    result = {'classify_label_accuracy': float(1 - present.mean()),
              'examples': split.num_examples}
    if split.masks is not None:
        masks = jnp.asarray(split.masks, jnp.int32)
        confusion = np.asarray(seg_metrics.confusion_matrix(
            jnp.zeros_like(masks), masks, split.num_classes + 1))
        result.update(pixel_accuracy=seg_metrics.pixel_accuracy(confusion),
                      miou=seg_metrics.mean_iou(confusion),
                      miou_objects=seg_metrics.mean_iou(confusion, skip=(0,)))
    return result


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    c = FLAGS.config
    split = scenes.load_dense(c.dataset, c.test_split, c.image_size, c.get('data_dir') or None,
                              **c.get('dataset_kwargs', {}))
    result = {'split': c.test_split, 'dataset': c.dataset, **reference_scores(split)}
    cli.summary(f'reference scores of {c.dataset} {c.test_split} ({split.num_examples} scenes)',
                FLAGS.workdir, {}, {k: v for k, v in result.items()
                                    if isinstance(v, float)}, result)


if __name__ == '__main__':
    cli.run(main)

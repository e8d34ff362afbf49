"""Evaluates a GAN checkpoint: FID, KID, Inception Score and precision/recall.

  python -m train.evaluate --workdir runs/gan [--num_samples 10000] \
      [--extractor assets/extractor_fashion_mnist] [--step N]
Writes {workdir}/eval_step_{step}.json. Scores name their extractor, e.g.
"FID (GhostNet-fashion_mnist features)"; only Inception-extractor scores are comparable with
published FIDs.
"""
import json

from absl import app, flags

from ghostjax.training.gan import evaluate
from train import cli

FLAGS = flags.FLAGS
flags.DEFINE_string('workdir', None, 'A train.gan workdir.')
flags.DEFINE_integer('num_samples', 10000, 'Generated samples.')
flags.DEFINE_string('extractor', 'assets/extractor_fashion_mnist',
                    'A train.classifier workdir (its GhostNet is the domain feature extractor) '
                    "or the path of pytorch-fid's pt_inception-2015-12-05-6726825d.pth.")
flags.DEFINE_integer('step', None, 'Checkpoint step (default: latest).')
flags.mark_flags_as_required(['workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    print(json.dumps(evaluate(FLAGS.workdir, FLAGS.extractor, FLAGS.num_samples, FLAGS.step),
                     indent=2))


if __name__ == '__main__':
    cli.run(main)

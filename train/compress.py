"""Prunes, fine-tunes and quantizes a trained model; writes compress.json / compress.md.

  python -m train.compress --config configs/compress_ghostnet_fashion_mnist.py \
      --workdir runs/compress_ghostnet
  python -m train.compress --config configs/compress_ghostgan_fashion_mnist.py \
      --workdir runs/compress_ghostgan
"""
from absl import app, flags
from ml_collections import config_flags

from ghostjax.compress import compress_classifier, compress_generator

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Compression configuration file.',
                                lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for the results.')
flags.mark_flags_as_required(['config', 'workdir'])
PIPELINES = {'classifier': compress_classifier, 'generator': compress_generator}


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    kind = FLAGS.config.kind
    if kind not in PIPELINES:
        raise app.UsageError(f'config.kind must be one of {sorted(PIPELINES)}, got {kind!r}')
    PIPELINES[kind](FLAGS.config, FLAGS.workdir)
    print(open(f'{FLAGS.workdir}/compress.md').read())


if __name__ == '__main__':
    app.run(main)

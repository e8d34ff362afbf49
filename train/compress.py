"""Prunes, fine-tunes and quantizes a trained model; writes compress.json, its result record
(result.json) and prints its table.

  python -m train.compress --config configs/compress_ghostnet_fashion_mnist.py \
      --workdir runs/compress_ghostnet
  python -m train.compress --config configs/compress_ghostgan_fashion_mnist.py \
      --workdir runs/compress_ghostgan
"""
from absl import app, flags
from ml_collections import config_flags

from ghostjax.compression.pipelines import compress_classifier, compress_generator
from train import cli
from train.tables import compress_table

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Compression configuration file.',
                                lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for the results.')
flags.mark_flags_as_required(['config', 'workdir'])
flags.adopt_module_key_flags(cli)  # --help lists the multi-process flags too
PIPELINES = {'classifier': compress_classifier, 'generator': compress_generator}


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'unexpected arguments: {argv[1:]}')
    cli.setup()
    kind = FLAGS.config.kind
    if kind not in PIPELINES:
        raise app.UsageError(f'config.kind must be one of {sorted(PIPELINES)}, got {kind!r}')
    result = PIPELINES[kind](FLAGS.config, FLAGS.workdir)
    print(compress_table(result['rows'], result['metric']))
    first = result['rows'][0]
    cli.summary(f'compressed {FLAGS.config.checkpoint}: {len(result["rows"])} variants',
                FLAGS.workdir, {'table': 'compress.json', 'variants': 'variants'},
                {f"dense {result['metric']}": first[result['metric']]}, result=result)


if __name__ == '__main__':
    cli.run(main)

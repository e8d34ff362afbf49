"""Parameters and MACs (conv + dense, per image) of every model, as JSON lines.

  python -m benchmarks.model_sizes [--out runs/model_sizes.json]
Nothing is compiled: sizes come from ``ghostjax.model_size`` on traced shapes. Writes
``runs/model_sizes.json``; ``python -m benchmarks.publish`` copies it to
``results/model_sizes.json`` (README table: ``python -m benchmarks.report``).
"""
import argparse
import json

import ghostjax as gj
from ghostjax.models import dcgan, ghostgan
from ghostjax.runtime.provenance import write_result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='runs/model_sizes.json')
    args = ap.parse_args()
    rows = [(f'GhostNet {w}x', gj.GhostNet(width=w), (1, 224, 224, 3)) for w in (0.5, 1.0, 1.3)]
    rows += [('GhostNetV2 1.0x', gj.GhostNet(version=2), (1, 224, 224, 3)),
             ('GhostNet 1.0x small-stem, Fashion-MNIST',
              gj.GhostNet(num_classes=10, in_channels=1, stem_stride=1), (1, 28, 28, 1))]
    for res, ch, g, d in ((28, 1, dcgan.DCGAN28Generator(), dcgan.DCGAN28Discriminator()),
                          (32, 3, dcgan.DCGANGenerator(32, 3), dcgan.DCGANDiscriminator(32, 3)),
                          (64, 3, dcgan.DCGANGenerator(64, 3), dcgan.DCGANDiscriminator(64, 3))):
        rows += [(f'DCGAN-{res} G', g, (1, 100)), (f'DCGAN-{res} D', d, (1, res, res, ch)),
                 (f'Ghost G {res}', ghostgan.GhostGenerator(res, ch), (1, 100)),
                 (f'Ghost D {res}', ghostgan.GhostDiscriminator(res, ch), (1, res, res, ch))]
    rows += [('MLP G', dcgan.MLPGenerator(), (1, 100)),
             ('MLP D', dcgan.MLPDiscriminator(), (1, 28, 28, 1))]
    out = []
    for name, model, shape in rows:
        out.append({'model': name, 'input': list(shape), **gj.model_size(model, shape)})
        print(json.dumps({'bench': 'model_size', **out[-1]}))
    write_result(args.out, {'rows': out})


if __name__ == '__main__':
    main()

"""Compress the default Fashion-MNIST GhostNet (train it first:
`python -m train.classifier --config configs/ghostnet_fashion_mnist.py --workdir runs/cls_fmnist`).

Variants: int8 PTQ (weights and activations); int8 QAT (depthwise float) then PTQ; 80%
global-magnitude sparsity reached by a Zhu & Gupta ramp while fine-tuning; 50% of every
bottleneck's ghost1 primary maps removed, then fine-tuned.

  python -m train.compress --config configs/compress_ghostnet_fashion_mnist.py \
      --workdir runs/compress_ghostnet

Measured once (CHANGELOG 0.1; no result record yet): every variant scored on the test split.
"""
import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.kind = 'classifier'
    c.checkpoint = 'runs/cls_fmnist'  # a train.classifier workdir (latest checkpoint)
    c.data_parallel = True
    c.ptq = True
    # shared fine-tuning: SGD Nesterov 0.9, cosine from learning_rate, the checkpoint's
    # weight decay, augmentation and label smoothing
    c.finetune = ml_collections.ConfigDict(dict(batch_size=128, learning_rate=0.01, seed=1,
                                                epochs=1.0))
    c.qat = ml_collections.ConfigDict(dict(epochs=0.5, learning_rate=0.002))  # 0: skip
    c.sparse = ml_collections.ConfigDict(dict(
        sparsity=0.8, method='global_magnitude', epochs=2.0, ramp_fraction=0.5,
        update_every=50))  # sparsity 0: skip
    c.channels = ml_collections.ConfigDict(dict(fraction=0.5, epochs=2.0))  # 0: skip
    return c
